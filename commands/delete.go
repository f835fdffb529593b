package commands

import (
	"context"
	"errors"

	"github.com/urfave/cli/v3"

	"github.com/runo-runtime/runo/libcontainer"
)

// deleteCommand removes containers and everything they hold.
func deleteCommand() *cli.Command {
	return &cli.Command{
		Name:          "delete",
		Usage:         "delete a container",
		ArgsUsage:     "<container-id>",
		ShellComplete: completeID,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "kill a running container first"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := checkArgs(cmd, 1, true); err != nil {
				return err
			}
			id, force := cmd.Args().First(), cmd.Bool("force")
			s := store(cmd.Root())
			c, err := s.Load(id, true)
			if errors.Is(err, libcontainer.ErrNotExist) && force {
				// As runc: forcing the delete of a container that is gone
				// succeeds, which engines rely on when cleaning up.
				return nil
			}
			if err != nil {
				// A damaged state that leads nowhere stays: its container
				// may still run.
				return err
			}
			defer c.Close()
			return c.Delete(force)
		},
	}
}
