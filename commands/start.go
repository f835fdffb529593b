package commands

import (
	"context"

	"github.com/urfave/cli/v3"
)

// startCommand starts the process of a created container.
func startCommand() *cli.Command {
	return &cli.Command{
		Name:      "start",
		Usage:     "start the process of a created container",
		ArgsUsage: "<container-id>",
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := checkArgs(cmd, 1, true); err != nil {
				return err
			}
			c, err := store(cmd.Root()).Load(cmd.Args().First(), true)
			if err != nil {
				return err
			}
			defer c.Close()
			return c.Start()
		},
	}
}
