package commands

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v3"
	"golang.org/x/sys/unix"
)

// Shell completion (runo completion bash|zsh|fish): urfave/cli runs the
// command line typed so far with --generate-shell-completion and prints
// what the command's ShellComplete prints. Commands that take a container
// id complete the ids of --root's containers; kill completes signal names
// after the id. Nothing printed falls back to file names (--bundle...).

// completingFlag says the word being completed is a flag.
func completingFlag() bool {
	n := len(os.Args)
	return n >= 2 && os.Args[n-1] == "--generate-shell-completion" && strings.HasPrefix(os.Args[n-2], "-")
}

// completeID completes a container id as the first argument.
func completeID(ctx context.Context, cmd *cli.Command) {
	switch {
	case completingFlag():
		cli.DefaultCompleteWithFlags(ctx, cmd)
	case cmd.NArg() == 0:
		printIDs(cmd)
	}
}

// completeKill completes the id, then a signal name.
func completeKill(ctx context.Context, cmd *cli.Command) {
	if completingFlag() || cmd.NArg() != 1 {
		completeID(ctx, cmd)
		return
	}
	for sig := unix.Signal(1); sig <= unix.SIGSYS; sig++ {
		if name := unix.SignalName(sig); name != "" {
			fmt.Println(strings.TrimPrefix(name, "SIG"))
		}
	}
}

func printIDs(cmd *cli.Command) {
	list, err := store(cmd.Root()).List()
	if err != nil {
		return
	}
	for _, c := range list {
		fmt.Println(c.ID)
		c.Close()
	}
}
