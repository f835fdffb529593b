// Package libcontainer creates and runs OCI containers: the lifecycle
// (Store, Container), the state kept under --root, and `runo init`, the
// process that sets a container up from inside its namespaces.
//
// Two sides share this package, and each file belongs to one of them:
//
//   - the runtime (the runo command a user or engine runs): container.go,
//     exec.go, run.go, launch.go, state.go, lifecycle.go, update.go,
//     events.go, console.go, idmap.go, seccomp.go, validate.go;
//   - init, inside the container: init.go and init_*.go;
//   - both: bootstrap.go (the contract between them, and the only one),
//     config.go, hooks.go, mountopts.go, fdpass.go, caps.go, sched.go,
//     mempolicy.go, lsm.go (validation on the runtime's side, the maps
//     both read).
//
// The runtime validates config.json once (Validate, errors naming the JSON
// path), starts init through nsenter (launch.go) and sends it the
// bootstrap, which carries the spec as decoded, field by field. init
// applies, in the order setup and setupProcess fix (init_sys.go is their
// seam to the kernel):
//
//	config.json field                 applied by                               side
//	root.path                         RootfsPath, rootfs.prepare               runtime, init
//	root.readonly                     rootfs.finish                            init
//	mounts                            rootfs.prepare (mount, bind, mountCgroup) init
//	mounts with idmap options         openMountSource, rootfs.moveSource       runtime, init
//	process.terminal, consoleSize     openConsole, setupConsole                runtime, init
//	process.args, env                 lookPath, listenEnv                      init
//	process.cwd                       realInit.chdir                           init
//	process.user                      setUser                                  init
//	process.capabilities              validateCaps; processCaps                runtime; init
//	process.rlimits                   realInit.rlimits                         init
//	process.noNewPrivileges           realInit.noNewPrivs                      init
//	process.oomScoreAdj               realInit.oomScoreAdj                     init
//	process.scheduler, ioPriority     validateSched; setSched                  runtime; init
//	process.execCPUAffinity           realInit.affinity (exec)                 init
//	process.apparmorProfile,
//	  selinuxLabel                    validateLSM; setLSM                      runtime; init
//	hostname, domainname              setupSystem                              init
//	hooks.prestart, createRuntime,
//	  poststart, poststop             runHooks                                 runtime
//	hooks.createContainer,
//	  startContainer                  runHooks (createHooks, execOnStart)      init
//	annotations                       State                                    runtime
//	linux.namespaces, timeOffsets     Container.launchOf -> nsenter            runtime
//	linux.uidMappings, gidMappings    writeIDMaps                              runtime
//	linux.devices                     rootfs.prepare (mknod, bindDevice)       init
//	linux.cgroupsPath                 cgroups.Layout.Paths                     runtime
//	linux.resources                   cgroups.Manager.Set                      runtime
//	linux.rootfsPropagation           rootfs.prepare, rootfs.finish            init
//	linux.maskedPaths, readonlyPaths  rootfs.finish                            init
//	linux.sysctl                      setupSystem                              init
//	linux.seccomp                     Store.compileSeccomp; loadSeccomp        runtime; init
//	linux.personality                 setPersonality                           init
//	linux.memoryPolicy                setMemoryPolicy                          init
//	linux.netDevices                  moveNetDevices                           runtime
//	linux.intelRdt, mountLabel        refused by validateLinux                 runtime
package libcontainer
