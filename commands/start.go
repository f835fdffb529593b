package commands

import (
	"context"

	"github.com/urfave/cli/v3"

	"github.com/runo-runtime/runo/libcontainer"
)

// startCommand starts the process of a created container.
func startCommand() *cli.Command {
	return lockedCommand("start", "start the process of a created container", (*libcontainer.Container).Start)
}

// lockedCommand is a subcommand that takes one container id and acts on
// the container while holding its lock.
func lockedCommand(name, usage string, act func(*libcontainer.Container) error) *cli.Command {
	return &cli.Command{
		Name:          name,
		Usage:         usage,
		ArgsUsage:     "<container-id>",
		ShellComplete: completeID,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := checkArgs(cmd, 1, true); err != nil {
				return err
			}
			c, err := store(cmd.Root()).Load(cmd.Args().First(), true)
			if err != nil {
				return err
			}
			defer c.Close()
			return act(c)
		},
	}
}
