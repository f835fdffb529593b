package commands

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/urfave/cli/v3"

	"github.com/runo-runtime/runo/libcontainer"
)

// execCommand runs a new process in a running container.
func execCommand() *cli.Command {
	afterID := 1
	return &cli.Command{
		Name:          "exec",
		Usage:         "run a new process in a running container",
		ArgsUsage:     "<container-id> <command> [args...]",
		ShellComplete: completeID,
		// Everything after the id is the command's, flags included.
		StopOnNthArg: &afterID,
		// As runc's parser: "-e A=1,2" is one variable.
		DisableSliceFlagSeparator: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "process", Aliases: []string{"p"}, Usage: "a runtime-spec process JSON file"},
			&cli.StringFlag{Name: "cwd", Usage: "working directory in the container"},
			&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "set an environment variable (NAME=VALUE)"},
			&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "uid[:gid] of the process"},
			&cli.StringSliceFlag{Name: "additional-gids", Aliases: []string{"g"}, Usage: "an additional gid"},
			&cli.BoolFlag{Name: "no-new-privs", Usage: "set no_new_privs for the process"},
			&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "do not wait for the process"},
			&cli.StringFlag{Name: "pid-file", Usage: "write the process's pid to this file"},
			&cli.IntFlag{Name: "preserve-fds", Usage: "pass this many fds after stdio to the process"},
			&cli.BoolFlag{Name: "ignore-paused", Usage: "exec even if the container is paused"},
			&cli.StringFlag{Name: "pidfd-socket", Usage: "send a pidfd of the process to this unix socket"},
			&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "allocate a terminal"},
			&cli.StringFlag{Name: "console-socket", Usage: "send the terminal's pty master to this unix socket"},
			&cli.StringSliceFlag{Name: "cap", Aliases: []string{"c"}, Usage: "add a capability"},
			&cli.StringFlag{Name: "process-label", Usage: "SELinux label of the process"},
			&cli.StringFlag{Name: "apparmor", Usage: "AppArmor profile of the process"},
			&cli.StringSliceFlag{Name: "cgroup", Usage: "run in an existing sub-cgroup: [controller[,controller]:]path"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := checkArgs(cmd, 1, false); err != nil {
				return err
			}
			o, err := execOpts(cmd)
			status := 0
			if err == nil {
				status, err = execIn(cmd, o)
			}
			if err != nil {
				// runc's exit status for an exec that did not happen.
				return &codedError{fmt.Errorf("exec failed: %w", err), 255}
			}
			if status != 0 {
				return exitError(status)
			}
			return nil
		},
	}
}

func execIn(cmd *cli.Command, o libcontainer.ExecOpts) (int, error) {
	c, err := store(cmd.Root()).Load(cmd.Args().First(), false)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return c.Exec(o)
}

func execOpts(cmd *cli.Command) (libcontainer.ExecOpts, error) {
	o := libcontainer.ExecOpts{
		Args:         cmd.Args().Tail(),
		Env:          cmd.StringSlice("env"),
		Cwd:          cmd.String("cwd"),
		User:         cmd.String("user"),
		NoNewPrivs:   cmd.Bool("no-new-privs"),
		Detach:       cmd.Bool("detach"),
		PidFile:      cmd.String("pid-file"),
		IgnorePaused: cmd.Bool("ignore-paused"),
		PidfdSocket:  cmd.String("pidfd-socket"),

		Tty:             cmd.Bool("tty"),
		ConsoleSocket:   cmd.String("console-socket"),
		Caps:            cmd.StringSlice("cap"),
		ApparmorProfile: cmd.String("apparmor"),
		ProcessLabel:    cmd.String("process-label"),
		Cgroups:         cmd.StringSlice("cgroup"),
	}
	n := cmd.Int("preserve-fds")
	if n < 0 {
		return o, fmt.Errorf("--preserve-fds: %d is negative", n)
	}
	o.PreserveFds = int(n)
	o.ListenFds = listenFds()
	for _, g := range cmd.StringSlice("additional-gids") {
		gid, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			return o, fmt.Errorf("--additional-gids %q: not a number", g)
		}
		o.AdditionalGids = append(o.AdditionalGids, uint32(gid))
	}
	if path := cmd.String("process"); path != "" {
		p, err := libcontainer.LoadProcess(path)
		if err != nil {
			return o, err
		}
		o.Process = p
	} else if len(o.Args) == 0 {
		return o, errors.New("exec: a command, or --process, is required")
	}
	return o, nil
}
