// Package commands is runo's command line: one file per subcommand, each
// parsing its flags and calling libcontainer. No container logic lives here.
package commands

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/moby/sys/userns"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v3"

	"github.com/runo-runtime/runo/libcontainer"
	"github.com/runo-runtime/runo/seccomp"
)

// Version and Commit are set by the Makefile at link time.
var (
	Version = "0.1.0-dev"
	Commit  = "unknown"
)

// exitError carries the exit status of a process run in the foreground.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// codedError is an error that runo reports and exits with code for, where
// runc does (exec's failures exit 255, not 1).
type codedError struct {
	err  error
	code int
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

// Main runs the command line and returns runo's exit status.
func Main(args []string) int {
	app := newApp()
	if c := commandIn(app, args); c != nil {
		// urfave/cli prepares every command's flags and help at each start
		// (a fifth of a millisecond); a runo process runs one command.
		app.Commands = []*cli.Command{c}
	}
	err := app.Run(context.Background(), args)
	var code exitError
	var coded *codedError
	// The parser's own exit codes, such as 3 for an unknown command, as in
	// runc's; not those of errors wrapped in runo's (a hook's exit status).
	parser, isParser := err.(cli.ExitCoder)
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	case errors.As(err, &coded):
		logError(err)
		return coded.code
	case isParser:
		logError(err)
		return parser.ExitCode()
	}
	logError(err)
	return 1
}

// commandIn returns the command of root that args name, past root's own
// flags, or nil when it cannot tell (an unknown flag, "--", help, no command).
func commandIn(root *cli.Command, args []string) *cli.Command {
	takesValue := map[string]bool{"help": false, "h": false, "version": false, "v": false, "generate-shell-completion": false}
	for _, f := range root.Flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, name := range f.Names() {
			takesValue[name] = !isBool
		}
	}
	for i := 1; i < len(args); i++ {
		arg := args[i]
		if arg == "--" || arg == "-" {
			return nil
		}
		if !strings.HasPrefix(arg, "-") {
			for _, c := range root.Commands {
				if c.Name == arg {
					return c
				}
			}
			return nil
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		value, known := takesValue[name]
		if !known {
			return nil
		}
		if value && !hasValue {
			i++
		}
	}
	return nil
}

// App is runo's command line, for Main and for what is generated from
// it (man pages, shell completion).
func App() *cli.Command { return newApp() }

// printVersion prints the version block as runc prints it: tools match its
// first line's form and the "spec:" line.
func printVersion() {
	fmt.Printf("runo version %s\ncommit: %s\nspec: %s\ngo: %s\nlibseccomp: %s\n",
		Version, Commit, specs.Version, runtime.Version(), seccomp.LibraryVersion())
}

func newApp() *cli.Command {
	cli.VersionPrinter = func(*cli.Command) { printVersion() }
	return &cli.Command{
		Name:    "runo",
		Usage:   "run OCI containers, as runc does",
		Version: Version,
		// runo completion bash|zsh|fish prints the script.
		EnableShellCompletion: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "root", Value: "/run/runo", Usage: "directory for container state ($XDG_RUNTIME_DIR/runo when rootless)"},
			&cli.StringFlag{Name: "rootless", Value: "auto", Usage: "run unprivileged: true, false or auto (when not root)"},
			&cli.StringFlag{Name: "log", Usage: "write log lines to this file instead of stderr"},
			&cli.StringFlag{Name: "log-format", Value: "text", Usage: "log format: text or json"},
			&cli.BoolFlag{Name: "debug", Usage: "log debug messages"},
			&cli.BoolFlag{Name: "systemd-cgroup", Usage: "make the container's cgroup a transient systemd scope (cgroupsPath \"slice:prefix:name\"), on a pure cgroup v2 host"},
		},
		Before: setupLog,
		// Errors are reported once, by Main, in the chosen log format.
		ExitErrHandler: func(context.Context, *cli.Command, error) {},
		Commands: []*cli.Command{
			checkpointCommand(), createCommand(), deleteCommand(), eventsCommand(), execCommand(), featuresCommand(), killCommand(), listCommand(),
			pauseCommand(), psCommand(), restoreCommand(), resumeCommand(), runCommand(), specCommand(),
			startCommand(), stateCommand(), updateCommand(), versionCommand(),
		},
	}
}

// store returns the state store named by --root.
func store(cmd *cli.Command) *libcontainer.Store {
	euid := os.Geteuid()
	// euid 0 in a user namespace (podman's rootless one) has no privilege
	// on the host: runo is rootless there too, as runc is.
	inUserns := euid == 0 && userns.RunningInUserNS()
	rootless := cmd.String("rootless") == "true" || (cmd.String("rootless") == "auto" && (euid != 0 || inUserns))
	root := cmd.String("root")
	if !cmd.IsSet("root") {
		root = defaultRoot(euid, inUserns)
	}
	s := &libcontainer.Store{Root: root, RootSet: cmd.IsSet("root"), CacheDir: cacheDir(), Rootless: rootless, Warn: warn,
		Systemd: cmd.Root().Bool("systemd-cgroup")}
	if logs.debug {
		s.Debug = func(msg string) { logs.line("debug", msg) }
	}
	return s
}

// defaultRoot is the state root without --root, by runc's rule:
// $XDG_RUNTIME_DIR/runo when euid is not 0 (/run/user/EUID/runo without
// the variable), or in a user namespace where USER is not root; otherwise
// /run/runo.
func defaultRoot(euid int, inUserns bool) string {
	dir := os.Getenv("XDG_RUNTIME_DIR")
	switch {
	case euid != 0 && dir == "":
		return fmt.Sprintf("/run/user/%d/runo", euid)
	case euid != 0 && dir != "":
		return filepath.Join(dir, "runo")
	case inUserns && dir != "":
		if u, ok := os.LookupEnv("USER"); !ok || u != "root" {
			return filepath.Join(dir, "runo")
		}
	}
	return "/run/runo"
}

// cacheDir is where root's runo keeps compiled seccomp programs: not under
// any --root, whose contents engines check for leftovers. RUNO_CACHE moves
// it. Rootless runo keeps none (libcontainer's openSeccompCache says why).
func cacheDir() string {
	if os.Geteuid() != 0 {
		return ""
	}
	if dir := os.Getenv("RUNO_CACHE"); dir != "" {
		return dir
	}
	return "/run/runo-cache"
}

// checkArgs enforces a subcommand's number of arguments, as runc words it.
func checkArgs(cmd *cli.Command, n int, exact bool) error {
	got := cmd.Args().Len()
	switch {
	case exact && got != n:
		return fmt.Errorf("%q requires exactly %d argument(s)", cmd.Name, n)
	case !exact && got < n:
		return fmt.Errorf("%q requires a minimum of %d argument(s)", cmd.Name, n)
	}
	return nil
}

// createFlags are the flags create and run share.
func createFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Value: ".", Usage: "path to the bundle"},
		&cli.StringFlag{Name: "pid-file", Usage: "write the init pid to this file"},
		&cli.BoolFlag{Name: "no-pivot", Usage: "use MS_MOVE and chroot instead of pivot_root"},
		&cli.BoolFlag{Name: "no-new-keyring", Usage: "keep the caller's session keyring"},
		&cli.IntFlag{Name: "preserve-fds", Usage: "pass this many fds after stdio to the process"},
		&cli.StringFlag{Name: "pidfd-socket", Usage: "send a pidfd of the container's process to this unix socket"},
		&cli.StringFlag{Name: "console-socket", Usage: "send the pty master of a process.terminal process to this unix socket"},
	}
}

func createOpts(cmd *cli.Command) (libcontainer.CreateOpts, error) {
	n := cmd.Int("preserve-fds")
	if n < 0 {
		return libcontainer.CreateOpts{}, fmt.Errorf("--preserve-fds: %d is negative", n)
	}
	return libcontainer.CreateOpts{
		ID:            cmd.Args().First(),
		Bundle:        cmd.String("bundle"),
		PidFile:       cmd.String("pid-file"),
		NoPivot:       cmd.Bool("no-pivot"),
		NoNewKeyring:  cmd.Bool("no-new-keyring"),
		PreserveFds:   int(n),
		ListenFds:     listenFds(),
		PidfdSocket:   cmd.String("pidfd-socket"),
		ConsoleSocket: cmd.String("console-socket"),
	}, nil
}

// listenFds is the number of systemd socket-activation descriptors runo was
// given (LISTEN_FDS, for this very process by LISTEN_PID); they are passed on.
func listenFds() int {
	if os.Getenv("LISTEN_PID") != strconv.Itoa(os.Getpid()) {
		return 0
	}
	n, err := strconv.Atoi(os.Getenv("LISTEN_FDS"))
	if err != nil || n < 0 {
		return 0
	}
	return n
}
