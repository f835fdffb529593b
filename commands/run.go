package commands

import (
	"context"

	"github.com/urfave/cli/v3"

	"github.com/runo-runtime/runo/libcontainer"
)

// runCommand creates and starts a container and, unless detached, waits
// for its process and exits with its status.
func runCommand() *cli.Command {
	flags := append(createFlags(),
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "do not wait for the process"},
		&cli.BoolFlag{Name: "keep", Usage: "do not delete the container after its process exits"},
		&cli.BoolFlag{Name: "no-subreaper", Usage: "do not become a subreaper of the container's processes"},
	)
	return &cli.Command{
		Name:          "run",
		Usage:         "create and start a container",
		ArgsUsage:     "<container-id>",
		ShellComplete: completeID,
		Flags:         flags,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := checkArgs(cmd, 1, true); err != nil {
				return err
			}
			o, err := createOpts(cmd)
			if err != nil {
				return err
			}
			status, err := store(cmd.Root()).Run(libcontainer.RunOpts{
				CreateOpts: o, Detach: cmd.Bool("detach"), Keep: cmd.Bool("keep"), NoSubreaper: cmd.Bool("no-subreaper"),
			})
			if err != nil {
				return err
			}
			if status != 0 {
				return exitError(status)
			}
			return nil
		},
	}
}
