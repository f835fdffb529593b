package commands

import (
	"context"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v3"

	"github.com/runo-runtime/runo/libcontainer"
)

// criuFlags are the flags checkpoint and restore share, as runc's.
func criuFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "image-path", Usage: "directory of CRIU's image files (default: ./checkpoint)"},
		&cli.StringFlag{Name: "work-path", Usage: "directory of CRIU's work files and log (default: the image path)"},
		&cli.BoolFlag{Name: "tcp-established", Usage: "allow open TCP connections"},
		&cli.BoolFlag{Name: "ext-unix-sk", Usage: "allow external unix sockets"},
		&cli.BoolFlag{Name: "shell-job", Usage: "allow shell jobs"},
		&cli.BoolFlag{Name: "file-locks", Usage: "handle file locks"},
		&cli.StringFlag{Name: "manage-cgroups-mode", Usage: "cgroups mode: soft, full, strict or ignore (default: soft)"},
		&cli.StringSliceFlag{Name: "empty-ns", Usage: "create a namespace of this type but do not restore its properties (network)"},
		&cli.BoolFlag{Name: "auto-dedup", Usage: "deduplicate memory images"},
		&cli.BoolFlag{Name: "lazy-pages", Usage: "restore memory pages lazily, with userfaultfd"},
	}
}

// criuOpts reads the flags of criuFlags and those only checkpoint has.
func criuOpts(cmd *cli.Command) libcontainer.CriuOpts {
	image := cmd.String("image-path")
	if image == "" {
		cwd, _ := os.Getwd()
		image = filepath.Join(cwd, "checkpoint")
	}
	statusFd := -1
	if cmd.IsSet("status-fd") {
		statusFd = int(cmd.Int("status-fd"))
	}
	return libcontainer.CriuOpts{
		ImagePath: image, WorkPath: cmd.String("work-path"), ParentPath: cmd.String("parent-path"),
		LeaveRunning: cmd.Bool("leave-running"), TCPEstablished: cmd.Bool("tcp-established"),
		TCPSkipInFlight: cmd.Bool("tcp-skip-in-flight"), LinkRemap: cmd.Bool("link-remap"),
		ExtUnixSk: cmd.Bool("ext-unix-sk"), ShellJob: cmd.Bool("shell-job"), FileLocks: cmd.Bool("file-locks"),
		PreDump: cmd.Bool("pre-dump"), AutoDedup: cmd.Bool("auto-dedup"), LazyPages: cmd.Bool("lazy-pages"),
		StatusFd: statusFd, PageServer: cmd.String("page-server"), ManageCgroupsMode: cmd.String("manage-cgroups-mode"),
		EmptyNs: cmd.StringSlice("empty-ns"), LsmProfile: cmd.String("lsm-profile"), LsmMountContext: cmd.String("lsm-mount-context"),
	}
}

// checkpointCommand dumps a running container with CRIU.
func checkpointCommand() *cli.Command {
	flags := append(criuFlags(),
		&cli.StringFlag{Name: "parent-path", Usage: "pre-dump images to build on, relative to --image-path"},
		&cli.BoolFlag{Name: "leave-running", Usage: "leave the container running after the checkpoint"},
		&cli.BoolFlag{Name: "tcp-skip-in-flight", Usage: "skip TCP connections being established"},
		&cli.BoolFlag{Name: "link-remap", Usage: "link unlinked open files back where possible"},
		&cli.IntFlag{Name: "status-fd", Value: -1, Usage: "write \\0 to this descriptor once lazy pages are served"},
		&cli.StringFlag{Name: "page-server", Usage: "send memory pages to the page server at ADDRESS:PORT"},
		&cli.BoolFlag{Name: "pre-dump", Usage: "dump the memory only, and leave the container running"},
	)
	var c *cli.Command
	c = lockedCommand("checkpoint", "checkpoint a running container", func(ct *libcontainer.Container) error {
		return ct.Checkpoint(criuOpts(c))
	})
	c.Flags = flags
	return c
}

// restoreCommand makes a container from a checkpoint and runs it as run
// does.
func restoreCommand() *cli.Command {
	flags := append(criuFlags(),
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Value: ".", Usage: "path to the bundle"},
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "do not wait for the process"},
		&cli.StringFlag{Name: "pid-file", Usage: "write the init pid to this file"},
		&cli.StringFlag{Name: "console-socket", Usage: "send the pty master of a process.terminal process to this unix socket"},
		&cli.StringFlag{Name: "pidfd-socket", Usage: "send a pidfd of the container's process to this unix socket"},
		&cli.BoolFlag{Name: "no-subreaper", Usage: "do not become a subreaper of the container's processes"},
		&cli.BoolFlag{Name: "no-pivot", Usage: "accepted as runc accepts it; CRIU makes the mounts"},
		&cli.StringFlag{Name: "lsm-profile", Usage: "LSM profile TYPE:NAME to restore the process with"},
		&cli.StringFlag{Name: "lsm-mount-context", Usage: "LSM mount context to restore the mounts with"},
	)
	return &cli.Command{
		Name:          "restore",
		Usage:         "restore a container from a checkpoint",
		ArgsUsage:     "<container-id>",
		ShellComplete: completeID,
		Flags:         flags,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := checkArgs(cmd, 1, true); err != nil {
				return err
			}
			status, err := store(cmd.Root()).Restore(libcontainer.RestoreOpts{
				CreateOpts: libcontainer.CreateOpts{
					ID: cmd.Args().First(), Bundle: cmd.String("bundle"), PidFile: cmd.String("pid-file"),
					ConsoleSocket: cmd.String("console-socket"), PidfdSocket: cmd.String("pidfd-socket"), NoPivot: cmd.Bool("no-pivot"),
				},
				CriuOpts: criuOpts(cmd), Detach: cmd.Bool("detach"), NoSubreaper: cmd.Bool("no-subreaper"),
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
