// Package nsenter starts a process inside a set of Linux namespaces, joined
// by path or newly created, without any C code.
//
// # Why the fork is hand-written
//
// The Go runtime is multithreaded before main runs. The kernel refuses
// setns(2) into a user namespace from a multithreaded process, and setns or
// unshare of a mount namespace needs an fs_struct that no other thread shares.
// runc gets round this with a C constructor that runs before the Go runtime
// starts. nsenter gets round it the way syscall.forkExec does: it forks the
// process itself. The child of a raw clone(2) has exactly one thread, so it may
// join and create any namespace; it then execveat(2)s a binary (runo, as
// `runo init`) whose fresh Go runtime starts with every thread already inside.
//
// # What the child may do
//
// Between the fork and the exec the child runs on a copy of the parent's
// memory, or on that memory and stack themselves (CLONE_VM|CLONE_VFORK, when
// the parent has nothing to do before the exec and no time namespace is
// involved: the calling thread is suspended until the exec, as is the first
// child while the second runs), with the Go runtime in an undefined state.
// The clones are then made in assembly that keeps the caller's return
// address in a register, as the child overwrites the stack below the frame.
// The child function is therefore //go:nosplit and //go:norace, makes only
// raw system calls, never allocates, never grows its stack, never takes a
// lock, and reads only data the parent prepared before the fork (file
// descriptors, byte strings, flags).
// The runtime spoils the stack guard during the fork, so a call to anything
// that could grow the stack crashes in testing rather than misbehaving later.
//
// # Steps in the child
//
// The child is born in the caller's cgroup v2 directory, if one is given
// (clone3 with CLONE_INTO_CGROUP). When nothing is joined and no user or
// time namespace is asked for, it is also born in its new namespaces
// (clone3 with the CLONE_NEW* flags; the cgroup namespace waits for step
// 0), and steps 1 to 5 reduce to that. Otherwise:
//
//  0. move itself into the given cgroup v1 hierarchies by writing "0" to their
//     "tasks" files: a lone thread moving itself is cheap, while moving a
//     process by pid waits for an RCU grace period (~10ms) in the kernel;
//  1. join the namespaces given by path, the user namespace first so that the
//     others are entered with its credentials;
//  2. create a new user namespace if asked, on its own, so that the parent can
//     write its id maps;
//  3. if the caller asked for it, tell the parent it is waiting and block
//     until the parent acknowledges, so that the parent can act on the pid
//     before the other namespaces exist (write id maps, place it in cgroups);
//  4. create the other new namespaces and write time namespace offsets;
//  5. fork once more when a PID or time namespace must take effect (both apply
//     only to children), with CLONE_PARENT so the caller stays the parent;
//  6. execveat the binary with AT_EMPTY_PATH.
//
// # How failures come back
//
// Each step that fails writes a fixed-size record (step, index, errno) to a
// close-on-exec pipe and exits. The parent reads records until end of file:
// end of file after no error record means the exec succeeded. Start turns an
// error record into an error that names the step and the namespace path, such
// as "joining network namespace /proc/123/ns/net: operation not permitted".
// If the parent dies, the child sees end of file on its acknowledgement pipe
// and exits, so nothing is left waiting.
package nsenter
