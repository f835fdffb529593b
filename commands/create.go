package commands

import (
	"context"

	"github.com/urfave/cli/v3"
)

// createCommand creates a container whose process waits for start.
func createCommand() *cli.Command {
	return &cli.Command{
		Name:          "create",
		Usage:         "create a container",
		ArgsUsage:     "<container-id>",
		ShellComplete: completeID,
		Flags:         createFlags(),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := checkArgs(cmd, 1, true); err != nil {
				return err
			}
			o, err := createOpts(cmd)
			if err != nil {
				return err
			}
			c, err := store(cmd.Root()).Create(o)
			if err != nil {
				return err
			}
			debugf("created container %s, init pid %d", c.ID, c.State.Pid)
			c.Close()
			return nil
		},
	}
}
