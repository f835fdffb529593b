package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/urfave/cli/v3"
)

// psCommand lists a container's processes: as a JSON array of host pids, or
// as ps(1) prints them (with any ps arguments after the id), as runc does.
func psCommand() *cli.Command {
	afterID := 1
	return &cli.Command{
		Name:          "ps",
		Usage:         "list the processes of a container",
		ArgsUsage:     "<container-id> [ps options]",
		ShellComplete: completeID,
		StopOnNthArg:  &afterID,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "table or json"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := checkArgs(cmd, 1, false); err != nil {
				return err
			}
			c, err := store(cmd.Root()).Load(cmd.Args().First(), false)
			if err != nil {
				return err
			}
			defer c.Close()
			pids, err := c.Pids()
			if err != nil {
				return err
			}
			switch f := cmd.String("format"); f {
			case "json":
				if pids == nil {
					pids = []int{}
				}
				return json.NewEncoder(os.Stdout).Encode(pids)
			case "table":
				return psTable(pids, cmd.Args().Tail())
			default:
				return fmt.Errorf("--format: unknown %q (table or json)", f)
			}
		},
	}
}

// psTable runs ps(1) with args (-ef by default) and keeps its header and
// the lines of pids, found in the PID column.
func psTable(pids []int, args []string) error {
	if len(args) == 0 {
		args = []string{"-ef"}
	}
	out, err := exec.Command("ps", args...).Output()
	if err != nil {
		return fmt.Errorf("running ps: %w", err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	col := -1
	for i, h := range strings.Fields(lines[0]) {
		if h == "PID" {
			col = i
		}
	}
	if col < 0 {
		return fmt.Errorf("ps %s prints no PID column", strings.Join(args, " "))
	}
	in := map[string]bool{}
	for _, p := range pids {
		in[strconv.Itoa(p)] = true
	}
	fmt.Println(lines[0])
	for _, l := range lines[1:] {
		if f := strings.Fields(l); len(f) > col && in[f[col]] {
			fmt.Println(l)
		}
	}
	return nil
}
