package commands

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/runo-runtime/runo/libcontainer"
)

// containerState is the JSON of `state` and `list -f json`: the
// runtime-spec state plus the fields runc adds, in runc's order.
type containerState struct {
	OCIVersion  string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Pid         int               `json:"pid"`
	Status      string            `json:"status"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     time.Time         `json:"created"`
	Owner       string            `json:"owner"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

func newContainerState(root string, c *libcontainer.Container) containerState {
	status := c.Status()
	pid := c.State.Pid
	if status == libcontainer.Stopped {
		pid = 0
	}
	return containerState{
		OCIVersion: specs.Version, ID: c.ID, Pid: pid, Status: string(status),
		Bundle: c.State.Bundle, Rootfs: c.State.Rootfs, Created: c.State.Created,
		Owner: owner(root, c.ID), Annotations: c.State.Annotations,
	}
}

// owner names the user owning the container's state directory.
func owner(root, id string) string {
	st, err := os.Stat(root + "/" + id)
	if err != nil {
		return ""
	}
	uid := int(st.Sys().(*syscall.Stat_t).Uid)
	if u, err := user.LookupUid(uid); err == nil {
		return u.Name
	}
	return "#" + strconv.Itoa(uid)
}

// stateCommand prints a container's state as JSON.
func stateCommand() *cli.Command {
	return &cli.Command{
		Name:          "state",
		Usage:         "print the state of a container",
		ArgsUsage:     "<container-id>",
		ShellComplete: completeID,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := checkArgs(cmd, 1, true); err != nil {
				return err
			}
			s := store(cmd.Root())
			c, err := s.Load(cmd.Args().First(), false)
			if err != nil {
				return err
			}
			defer c.Close()
			out, err := json.MarshalIndent(newContainerState(s.Root, c), "", "  ")
			if err != nil {
				return err
			}
			_, err = os.Stdout.Write(append(out, '\n'))
			return err
		},
	}
}
