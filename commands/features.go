package commands

import (
	"context"
	"encoding/json"
	"os"

	"github.com/urfave/cli/v3"

	"github.com/runo-runtime/runo/libcontainer"
)

// featuresCommand prints the runtime-spec features document, as runc
// features does; containerd reads it to learn what the runtime can do.
func featuresCommand() *cli.Command {
	return &cli.Command{
		Name:  "features",
		Usage: "print what runo supports, as runtime-spec features JSON",
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := checkArgs(cmd, 0, true); err != nil {
				return err
			}
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "    ")
			return enc.Encode(libcontainer.Features(Version, Commit))
		},
	}
}
