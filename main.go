// Command runo is a low-level OCI container runtime, a drop-in for runc.
package main

import (
	"os"

	"github.com/runo-runtime/runo/commands"
	"github.com/runo-runtime/runo/libcontainer"
)

func main() {
	// `runo init` runs inside every new container: keep its start cheap by
	// skipping the command-line machinery altogether.
	if len(os.Args) == 2 && os.Args[1] == "init" {
		os.Exit(libcontainer.Init())
	}
	os.Exit(commands.Main(os.Args))
}
