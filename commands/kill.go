package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v3"

	"github.com/runo-runtime/runo/libcontainer"
)

// killCommand signals a container's init, or all its processes. The signal
// is an argument, not a flag, as in runc and kill(1).
func killCommand() *cli.Command {
	return &cli.Command{
		Name:          "kill",
		Usage:         "send a signal to a container's process",
		ArgsUsage:     "<container-id> [signal]",
		ShellComplete: completeKill,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "signal every process in the container"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if n := cmd.Args().Len(); n < 1 || n > 2 {
				return fmt.Errorf("%q requires a container id and at most one signal", cmd.Name)
			}
			name := "SIGTERM"
			if cmd.Args().Len() == 2 {
				name = cmd.Args().Get(1)
			}
			sig, err := libcontainer.ParseSignal(name)
			if err != nil {
				return err
			}
			c, err := store(cmd.Root()).Load(cmd.Args().First(), false)
			if err != nil {
				return err
			}
			defer c.Close()
			err = c.Signal(sig, cmd.Bool("all"))
			if errors.Is(err, libcontainer.ErrNotRunning) && cmd.Bool("all") {
				// As runc: --all on a container that has stopped is no error.
				return nil
			}
			return err
		},
	}
}
