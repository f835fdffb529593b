// Command runo is a low-level OCI container runtime, a drop-in for runc.
//
// Each runo process lives for milliseconds: the runtime's reading of cgroup
// CPU limits at start (mountinfo, cgroup files) and its goroutine that
// rereads them would only cost time.
//
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0
package main

import (
	"os"
	"runtime"

	"github.com/runo-runtime/runo/commands"
	"github.com/runo-runtime/runo/libcontainer"
)

// Some of what `runo init` sets is per thread (the session keyring,
// no_new_privs): the main goroutine stays on the main thread, the one that
// later executes the container's process.
func init() {
	if len(os.Args) == 2 && os.Args[1] == "init" {
		runtime.LockOSThread()
	}
}

func main() {
	// `runo init` runs inside every new container: keep its start cheap by
	// skipping the command-line machinery altogether.
	if len(os.Args) == 2 && os.Args[1] == "init" {
		os.Exit(libcontainer.Init())
	}
	os.Exit(commands.Main(os.Args))
}
