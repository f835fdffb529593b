// Command mkman writes runo's man pages, runo(8) and runo-COMMAND(8) for
// every command, from the command line's own definitions (names, usage,
// flags, defaults), so that the pages cannot drift from the code:
//
//	go run ./commands/mkman DIR
//
// It writes roff itself rather than through a markdown converter: the
// pages need sections (EXAMPLES) that urfave/cli's documentation
// generator has no place for, and the build stays free of a markdown
// parser.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/runo-runtime/runo/commands"
)

// examples are the EXAMPLES sections, by command.
var examples = map[string][]string{
	"create": {
		"Create a container from the bundle in the current directory, its terminal sent to a socket:",
		"runo create --console-socket /run/tty.sock mycontainer",
		"Create one whose process keeps two descriptors of the caller's (3 and 4):",
		"runo create --bundle /var/lib/bundles/web --preserve-fds 2 web",
	},
	"start": {
		"Start the process of a created container:",
		"runo start mycontainer",
	},
	"run": {
		"Run a container in the foreground, its exit status being runo's:",
		"runo run --bundle /var/lib/bundles/web web",
		"Run it detached, its pid written to a file:",
		"runo run -d --pid-file /run/web.pid --bundle /var/lib/bundles/web web",
	},
	"exec": {
		"Run a shell with a terminal in a running container:",
		"runo exec -t mycontainer sh",
		"Run a command as uid 1000 with an extra environment variable:",
		"runo exec --user 1000:1000 --env DEBUG=1 mycontainer /app/check",
		"Run the process described by a runtime-spec process.json:",
		"runo exec --process process.json mycontainer",
	},
	"update": {
		"Raise a running container's memory limit and cap its processes:",
		"runo update --memory 536870912 --pids-limit 200 mycontainer",
		"Apply linux.resources JSON read from standard input:",
		"echo '{\"cpu\": {\"quota\": 50000, \"period\": 100000}}' | runo update --resources - mycontainer",
	},
	"events": {
		"Print the container's statistics once:",
		"runo events --stats mycontainer",
		"Print them every 10 seconds, and OOM kills as they happen:",
		"runo events --interval 10s mycontainer",
	},
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mkman DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	app := commands.App()
	pages := map[string]string{"runo.8": mainPage(app)}
	for _, c := range app.Commands {
		if !c.Hidden {
			pages["runo-"+c.Name+".8"] = commandPage(app, c)
		}
	}
	for name, page := range pages {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(page), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

// esc quotes text for roff: backslashes, and a leading dot or quote.
func esc(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

func header(name, title string) string {
	date := time.Now().UTC().Format("2006-01-02")
	if epoch := os.Getenv("SOURCE_DATE_EPOCH"); epoch != "" {
		var sec int64
		if _, err := fmt.Sscan(epoch, &sec); err == nil {
			date = time.Unix(sec, 0).UTC().Format("2006-01-02")
		}
	}
	return fmt.Sprintf(".TH %s 8 %q %q %q\n.SH NAME\n%s \\- %s\n", strings.ToUpper(name), date, "runo "+commands.Version, "runo manual", esc(name), esc(title))
}

func mainPage(app *cli.Command) string {
	var b strings.Builder
	b.WriteString(header("runo", app.Usage))
	b.WriteString(".SH SYNOPSIS\n.B runo\n[\\fIglobal options\\fR] \\fIcommand\\fR [\\fIcommand options\\fR] [\\fIarguments\\fR]\n")
	b.WriteString(".SH DESCRIPTION\n")
	b.WriteString("runo is a low-level OCI container runtime: it reads a bundle (a root file system and config.json, runtime-spec " + esc("1.3.0") + "), makes the container's namespaces, mounts, cgroups, capabilities and seccomp filter, and runs its process. Its commands, flags, exit statuses and JSON are runc's.\n")
	b.WriteString(".SH GLOBAL OPTIONS\n")
	writeFlags(&b, app.Flags)
	b.WriteString(".SH COMMANDS\n")
	for _, c := range app.Commands {
		if c.Hidden {
			continue
		}
		fmt.Fprintf(&b, ".TP\n.B %s\n%s (see \\fBruno\\-%s\\fR(8))\n", esc(c.Name), esc(c.Usage), esc(c.Name))
	}
	b.WriteString(".SH SHELL COMPLETION\n")
	b.WriteString(".B runo completion bash\n(or\n.BR zsh ,\n.BR fish )\nprints a completion script; container ids and signal names are completed.\n")
	b.WriteString(".SH SEE ALSO\n")
	var refs []string
	for _, c := range app.Commands {
		if !c.Hidden {
			refs = append(refs, fmt.Sprintf("\\fBruno\\-%s\\fR(8)", esc(c.Name)))
		}
	}
	b.WriteString(strings.Join(refs, ",\n") + "\n")
	return b.String()
}

func commandPage(app, c *cli.Command) string {
	var b strings.Builder
	name := "runo-" + c.Name
	b.WriteString(header(name, c.Usage))
	b.WriteString(".SH SYNOPSIS\n")
	fmt.Fprintf(&b, ".B runo\n[\\fIglobal options\\fR] \\fB%s\\fR", esc(c.Name))
	if len(c.Flags) > 0 {
		b.WriteString(" [\\fIoptions\\fR]")
	}
	if c.ArgsUsage != "" {
		fmt.Fprintf(&b, " \\fI%s\\fR", esc(c.ArgsUsage))
	}
	b.WriteString("\n.SH DESCRIPTION\n")
	desc := c.Description
	if desc == "" {
		desc = c.Usage + "."
	}
	for _, para := range strings.Split(strings.TrimSpace(desc), "\n\n") {
		b.WriteString(esc(strings.ReplaceAll(para, "\n", " ")) + "\n.PP\n")
	}
	if len(c.Flags) > 0 {
		b.WriteString(".SH OPTIONS\n")
		writeFlags(&b, c.Flags)
	}
	if ex, ok := examples[c.Name]; ok {
		b.WriteString(".SH EXAMPLES\n")
		for i := 0; i+1 < len(ex); i += 2 {
			fmt.Fprintf(&b, ".PP\n%s\n.PP\n.RS\n.nf\n%s\n.fi\n.RE\n", esc(ex[i]), esc(ex[i+1]))
		}
	}
	b.WriteString(".SH SEE ALSO\n\\fBruno\\fR(8)\n")
	return b.String()
}

// writeFlags lists flags as runc's pages do: names, the value they take,
// the default, and the usage.
func writeFlags(b *strings.Builder, flags []cli.Flag) {
	for _, f := range flags {
		names := slices.Clone(f.Names())
		var parts []string
		for _, n := range names {
			dash := "\\-\\-"
			if len(n) == 1 {
				dash = "\\-"
			}
			parts = append(parts, "\\fB"+dash+esc(n)+"\\fR")
		}
		usage, value := "", ""
		if d, ok := f.(cli.DocGenerationFlag); ok {
			usage = d.GetUsage()
			if d.TakesValue() {
				value = " \\fIvalue\\fR"
			}
			if def := d.GetValue(); def != "" && def != "false" && def != "0" && def != `""` {
				usage += " (default: " + strings.Trim(def, `"`) + ")"
			}
		}
		fmt.Fprintf(b, ".TP\n%s%s\n%s\n", strings.Join(parts, ", "), value, esc(usage))
	}
}
