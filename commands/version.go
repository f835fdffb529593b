package commands

import (
	"context"

	"github.com/urfave/cli/v3"
)

// versionCommand prints what --version prints.
func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print runo's version, commit, runtime-spec, Go and libseccomp versions",
		Action: func(context.Context, *cli.Command) error {
			printVersion()
			return nil
		},
	}
}
