package commands

import (
	"context"

	"github.com/urfave/cli/v3"

	"github.com/runo-runtime/runo/libcontainer"
)

// pauseCommand and resumeCommand freeze and thaw a container's processes.
func pauseCommand() *cli.Command {
	return freezeCommand("pause", "freeze every process of a running container", (*libcontainer.Container).Pause)
}

func resumeCommand() *cli.Command {
	return freezeCommand("resume", "thaw a paused container", (*libcontainer.Container).Resume)
}

func freezeCommand(name, usage string, act func(*libcontainer.Container) error) *cli.Command {
	return &cli.Command{
		Name:      name,
		Usage:     usage,
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
			return act(c)
		},
	}
}
