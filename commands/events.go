package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/runo-runtime/runo/libcontainer"
)

// eventsCommand prints a container's statistics, once or every interval,
// and its OOM kills, one JSON object per line, as runc events does.
func eventsCommand() *cli.Command {
	return &cli.Command{
		Name:          "events",
		Usage:         "print a container's resource statistics and OOM events",
		ArgsUsage:     "<container-id>",
		ShellComplete: completeID,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "stats", Usage: "print the statistics once and exit"},
			&cli.DurationFlag{Name: "interval", Value: 5 * time.Second, Usage: "how often to print the statistics"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := checkArgs(cmd, 1, true); err != nil {
				return err
			}
			interval := cmd.Duration("interval")
			if interval <= 0 {
				return fmt.Errorf("--interval %s: must be positive", interval)
			}
			c, err := store(cmd.Root()).Load(cmd.Args().First(), false)
			if err != nil {
				return err
			}
			defer c.Close()
			enc := json.NewEncoder(os.Stdout)
			ev, err := c.Stats()
			if err != nil {
				return err
			}
			if cmd.Bool("stats") {
				return enc.Encode(ev)
			}
			return streamEvents(c, enc, interval)
		},
	}
}

// streamEvents prints statistics every interval and OOM kills as they
// come, until the container stops.
func streamEvents(c *libcontainer.Container, enc *json.Encoder, interval time.Duration) error {
	oom, err := c.NotifyOOM()
	if err != nil {
		warn(fmt.Errorf("no OOM events: %w", err))
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		ev, err := c.Stats()
		if errors.Is(err, libcontainer.ErrNotRunning) {
			return nil
		}
		if err == nil {
			err = enc.Encode(ev)
		}
		if err != nil {
			return err
		}
		for waiting := true; waiting; {
			select {
			case <-tick.C:
				waiting = false
			case _, ok := <-oom:
				if !ok {
					// The cgroup is gone: a nil channel is never ready.
					oom = nil
					continue
				}
				if err := enc.Encode(&libcontainer.Event{Type: "oom", ID: c.ID}); err != nil {
					return err
				}
			}
		}
	}
}
