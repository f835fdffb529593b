package commands

import (
	"github.com/urfave/cli/v3"

	"github.com/runo-runtime/runo/libcontainer"
)

// pauseCommand and resumeCommand freeze and thaw a container's processes.
func pauseCommand() *cli.Command {
	return lockedCommand("pause", "freeze every process of a running container", (*libcontainer.Container).Pause)
}

func resumeCommand() *cli.Command {
	return lockedCommand("resume", "thaw a paused container", (*libcontainer.Container).Resume)
}
