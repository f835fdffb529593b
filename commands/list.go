package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v3"
)

// listCommand lists the containers under --root.
func listCommand() *cli.Command {
	return &cli.Command{
		Name:  "list",
		Usage: "list containers",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "table or json"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only ids"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			format := cmd.String("format")
			if format != "table" && format != "json" {
				return fmt.Errorf("--format: unknown %q (table or json)", format)
			}
			s := store(cmd.Root())
			list, err := s.List()
			if err != nil {
				return err
			}
			var states []containerState
			for _, c := range list {
				states = append(states, newContainerState(s.Root, c))
				c.Close()
			}
			switch {
			case cmd.Bool("quiet"):
				for _, st := range states {
					fmt.Println(st.ID)
				}
			case format == "json":
				// A nil slice prints null, as runc's does.
				out, err := json.Marshal(states)
				if err != nil {
					return err
				}
				fmt.Println(string(out))
			default:
				w := tabwriter.NewWriter(os.Stdout, 12, 1, 3, ' ', 0)
				fmt.Fprint(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n")
				for _, st := range states {
					fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", st.ID, st.Pid, st.Status, st.Bundle,
						st.Created.Format(time.RFC3339Nano), st.Owner)
				}
				return w.Flush()
			}
			return nil
		},
	}
}
