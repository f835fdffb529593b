package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
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

func (l *logger) line(level, msg string) {
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
		fmt.Fprintln(os.Stderr, err)
	}
}
