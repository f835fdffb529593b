// Package cgroups places containers in cgroups on v1, v2 and hybrid hosts.
//
// The layout is read from /proc/self/mountinfo, never guessed: every mounted
// v1 hierarchy (including named ones such as name=systemd) and the cgroup2
// mount, if any, get a directory for the container. On a hybrid host that is
// both. Paths are recorded by the caller before directories are made, so
// that a crash at any point leaves something Manager.Destroy can finish.
package cgroups
