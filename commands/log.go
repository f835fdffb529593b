package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v3"
)

// logger writes runc-compatible log lines: logrus text, or JSON objects
// with time, level and msg, which containerd reads back on failure.
type logger struct {
	w     io.Writer
	json  bool
	file  bool
	debug bool
}

var logs = &logger{w: os.Stderr}

func setupLog(ctx context.Context, cmd *cli.Command) (context.Context, error) {
	switch f := cmd.String("log-format"); f {
	case "text":
	case "json":
		logs.json = true
	default:
		return ctx, fmt.Errorf("--log-format: unknown %q (text or json)", f)
	}
	switch r := cmd.String("rootless"); r {
	case "auto", "true", "false":
	default:
		return ctx, fmt.Errorf("--rootless: unknown %q (auto, true or false)", r)
	}
	logs.debug = cmd.Bool("debug")
	if path := cmd.String("log"); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_SYNC, 0o644)
		if err != nil {
			return ctx, fmt.Errorf("--log: %w", err)
		}
		logs.w, logs.file = f, true
	}
	return ctx, nil
}

// maxMessage bounds a log line's message: errors quote bounded parts of
// what they name, and this catches any that does not (4 KiB is more than
// any engine shows).
const maxMessage = 4096

// bounded is msg, or its start and end with how much was cut between.
func bounded(msg string) string {
	if len(msg) <= maxMessage {
		return msg
	}
	head, tail := maxMessage*3/4, maxMessage/4
	return fmt.Sprintf("%s ...(%d bytes cut)... %s", strings.ToValidUTF8(msg[:head], ""), len(msg)-head-tail, strings.ToValidUTF8(msg[len(msg)-tail:], ""))
}

func (l *logger) line(level, msg string) {
	msg = bounded(msg)
	now := time.Now().UTC().Format(time.RFC3339Nano)
	if l.json {
		b, _ := json.Marshal(struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
			Time  string `json:"time"`
		}{level, msg, now})
		fmt.Fprintf(l.w, "%s\n", b)
		return
	}
	fmt.Fprintf(l.w, "time=%q level=%s msg=%s\n", now, level, strconv.Quote(msg))
}

func debugf(format string, args ...any) {
	if logs.debug {
		logs.line("debug", fmt.Sprintf(format, args...))
	}
}

// warn reports a failure that does not end runo.
func warn(err error) {
	logs.line("warning", err.Error())
}

// logError reports the error that ends runo: as the last line of the log,
// standing alone, and on stderr for callers that read only that.
func logError(err error) {
	logs.line("error", err.Error())
	if logs.file {
		fmt.Fprintln(os.Stderr, bounded(err.Error()))
	}
}
