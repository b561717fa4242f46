// Package netcni gives a pod its network: a persistent network namespace,
// loopback brought up in-process, and zero or more CNI networks attached by
// calling the standard plugin binaries through libcni.
//
// The built-in "default" network is rkt's: ptp with host-local addresses on
// 172.16.28.0/24 and masquerading. Other networks come from *.conf and
// *.conflist files in Options.ConfDir. Port mappings go through the portmap
// plugin, chained after the network's own plugins.
//
// What each ADD used is recorded under Options.StateDir/pods/<pod>/ so that
// Teardown (DEL, lease release, netns removal) works from that record alone,
// also after the process that set the network up was killed.
//
// It does not implement plugins or IPAM; it never touches the host's own
// interfaces except through the plugins.
package netcni
