package main

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/acikit/acikit/internal/store"
	"github.com/acikit/acikit/internal/testutil"
)

// rktRow is one scenario of rkt's functional tests (tests/rkt_*_test.go in
// github.com/rkt/rkt), run against acrun. A row either runs acrun once and
// checks its exit status and output, or has its own check.
type rktRow struct {
	name string
	// rkt names the rkt test the row comes from.
	rkt string
	// differs is empty when acrun does what rkt did; otherwise it says how
	// acrun differs and why, and the row checks acrun's own behaviour.
	differs string
	// args are acrun's arguments after --insecure-options=image (and
	// --net=none unless they name a network); {NAME} is replaced by the
	// shared image or path of that name.
	args []string
	// env is added to acrun's environment.
	env []string
	// code, stdout and stderr are what the run must give: the exit status
	// and regexps that must match (stderr only when set).
	code           int
	stdout, stderr string
	// status, when set, must match `acrun status UUID` after the run.
	status string
	// check replaces the single run.
	check func(t *testing.T, w *rktWorld)
}

// rktWorld is what the rows share: one acrun environment and the images.
type rktWorld struct {
	e     *env
	paths map[string]string
}

// sh runs script with the busybox shell in the shared inspect image.
func sh(script string, appFlags ...string) []string {
	return append(append([]string{"{inspect}"}, appFlags...), "--exec=/bin/sh", "--", "-c", script)
}

// capCheck prints NAME=enabled or NAME=disabled for capability bit n in
// the app's bounding set, as rkt's inspect --print-caps-pid did.
func capCheck(name string, n int) string {
	return `b=$(awk '/^CapBnd/{print $2}' /proc/self/status); if [ $(( (0x$b >> ` + strconv.Itoa(n) + `) & 1 )) = 1 ]; then echo ` +
		name + `=enabled; else echo ` + name + `=disabled; fi; echo "User: uid=$(id -u) gid=$(id -g)"`
}

// otherArch is an appc arch label of linux that is not this host's.
func otherArch() string {
	if runtime.GOARCH == "amd64" {
		return "aarch64"
	}
	return "amd64"
}

func hostArch() string {
	switch runtime.GOARCH {
	case "arm64":
		return "aarch64"
	case "386":
		return "i386"
	}
	return runtime.GOARCH
}

// TestRktFunctional ports rkt's functional tests: what rkt users relied on.
func TestRktFunctional(t *testing.T) {
	e := newEnv(t)
	w := &rktWorld{e: e, paths: map[string]string{}}
	w.build(t)
	const (
		capNetAdmin       = 12
		capNetBindService = 10
		capMknod          = 27
		capChown          = 0
	)
	rows := []rktRow{
		// rkt_env_test.go
		{name: "env from the image", rkt: "TestEnv (rkt_env_test.go)",
			args: sh(`echo VAR_FROM_MANIFEST=$VAR_FROM_MANIFEST`), stdout: "^VAR_FROM_MANIFEST=manifest\n$"},
		{name: "set-env", rkt: "TestEnv (rkt_env_test.go)",
			args: append([]string{"--set-env=VAR_OTHER=setenv"}, sh(`echo VAR_OTHER=$VAR_OTHER`)...), stdout: "^VAR_OTHER=setenv\n$"},
		{name: "set-env overrides the image", rkt: "TestEnv (rkt_env_test.go)",
			args: append([]string{"--set-env=VAR_FROM_MANIFEST=setenv"}, sh(`echo VAR_FROM_MANIFEST=$VAR_FROM_MANIFEST`)...), stdout: "^VAR_FROM_MANIFEST=setenv\n$"},
		{name: "inherit-env", rkt: "TestEnv (rkt_env_test.go)", env: []string{"VAR_OTHER=host"},
			args: append([]string{"--inherit-env"}, sh(`echo VAR_OTHER=$VAR_OTHER`)...), stdout: "^VAR_OTHER=host\n$"},
		{name: "the image overrides inherit-env", rkt: "TestEnv (rkt_env_test.go)", env: []string{"VAR_FROM_MANIFEST=host"},
			args: append([]string{"--inherit-env"}, sh(`echo VAR_FROM_MANIFEST=$VAR_FROM_MANIFEST`)...), stdout: "^VAR_FROM_MANIFEST=manifest\n$"},
		{name: "set-env overrides inherit-env", rkt: "TestEnv (rkt_env_test.go)", env: []string{"VAR_OTHER=host"},
			args: append([]string{"--inherit-env", "--set-env=VAR_OTHER=setenv"}, sh(`echo VAR_OTHER=$VAR_OTHER`)...), stdout: "^VAR_OTHER=setenv\n$"},
		{name: "app set-env overrides pod set-env", rkt: "TestEnv (rkt_env_test.go); per-app --environment (Documentation/subcommands/run.md)",
			args: append([]string{"--set-env=VAR_OTHER=pod"}, sh(`echo VAR_OTHER=$VAR_OTHER`, "--set-env=VAR_OTHER=app")...), stdout: "^VAR_OTHER=app\n$"},
		{name: "set-env-file", rkt: "TestEnv (rkt_env_test.go, env_file_test.conf)",
			args:   append([]string{"--set-env-file={envfile}"}, sh(`echo VAR_OTHER=$VAR_OTHER VAR_2=$VAR_2 PATH=$PATH`)...),
			stdout: "^VAR_OTHER=file VAR_2=2 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n$"},
		{name: "set-env overrides set-env-file", rkt: "TestEnv (rkt_env_test.go, env_file_test.conf)",
			args:   append([]string{"--set-env=VAR_OTHER=setenv", "--set-env-file={envfile}"}, sh(`echo VAR_OTHER=$VAR_OTHER VAR_2=$VAR_2`)...),
			stdout: "^VAR_OTHER=setenv VAR_2=2\n$"},
		{name: "set-env-file overrides the image", rkt: "TestEnv (rkt_env_test.go); run.md: image env < env file < --set-env",
			args: append([]string{"--set-env-file={envfile2}"}, sh(`echo VAR_FROM_MANIFEST=$VAR_FROM_MANIFEST`)...), stdout: "^VAR_FROM_MANIFEST=file\n$"},
		{name: "set-env-file from stdin", rkt: "TestEnv (rkt_env_test.go, env_file_test.conf); every file argument takes -", check: checkEnvFileStdin},
		{name: "set-env-file with a bad line refused", rkt: "TestEnv (rkt_env_test.go), the converse",
			args: append([]string{"--set-env-file={badenvfile}"}, sh("true")...), code: 2, stderr: `badenv:2: want NAME=VALUE`},
		{name: "set-env TERM", rkt: "TestEnv (rkt_env_test.go: TERM)",
			args: append([]string{"--set-env=TERM=dumb"}, sh(`echo TERM=$TERM`)...), stdout: "^TERM=dumb\n$"},
		{name: "enter sees the app's environment", rkt: "TestEnv (rkt_env_test.go, the enter half)", check: checkEnterEnv},

		// rkt_exit_test.go
		{name: "exit 0", rkt: "TestExitCodeSimple (rkt_exit_test.go)", args: sh("echo Hello; exit 0"), stdout: "^Hello\n$", status: `(?m)^app-rkt-inspect=0$`},
		{name: "exit 1", rkt: "TestExitCodeSimple (rkt_exit_test.go)", args: sh("echo Hello; exit 1"), code: 1, stdout: "^Hello\n$", status: `(?m)^app-rkt-inspect=1$`},
		{name: "exit 2", rkt: "TestExitCodeSimple (rkt_exit_test.go)", args: sh("echo Hello; exit 2"), code: 2, stdout: "^Hello\n$", status: `(?m)^app-rkt-inspect=2$`},
		{name: "several apps: the failing app's code", rkt: "TestExitCodeWithSeveralApps (rkt_exit_test.go)",
			differs: "the app stopped because another failed is recorded as killed by SIGTERM (143), where rkt's systemd recorded a clean stop (0)",
			args: []string{"{inspect}", "--name=hello0", "--exec=/bin/sh", "--", "-c", "echo HelloWorld; exit 0", "---",
				"{inspect}", "--name=hello1", "--exec=/bin/sh", "--", "-c", "echo HelloWorld; sleep 0.5; exit 5", "---",
				"{inspect}", "--name=hello2", "--exec=/bin/sh", "--", "-c", "echo HelloWorld; sleep 5; exit 6"},
			code: 5, stdout: "hello0: HelloWorld\n", status: `(?s)app-hello0=0\n.*app-hello1=5\n.*app-hello2=143\n`},

		{name: "several apps: the first to fail in time stops the pod", rkt: "TestExitCodeWithSeveralApps (rkt_exit_test.go)",
			args: []string{"{inspect}", "--name=late", "--exec=/bin/sh", "--", "-c", "sleep 5; exit 6", "---",
				"{inspect}", "--name=early", "--exec=/bin/sh", "--", "-c", "exit 5"},
			code: 5, status: `(?s)app-late=143\n.*app-early=5\n`},
		{name: "several apps: one ending well stops nothing", rkt: "TestExitCodeWithSeveralApps (rkt_exit_test.go: hello0)",
			args: []string{"{inspect}", "--name=quick", "--exec=/bin/sh", "--", "-c", "exit 0", "---",
				"{inspect}", "--name=slow", "--exec=/bin/sh", "--", "-c", "sleep 0.5; echo done"},
			code: 0, stdout: "slow: done\n", status: `(?s)app-quick=0\n.*app-slow=0\n`},

		// rkt_run_user_group_test.go: the user/group app first, then last.
		{name: "user and group: image default", rkt: "TestAppUserGroup (rkt_run_user_group_test.go)",
			args: []string{"{inspect}", "--name=ug", "--exec=/bin/sh", "--", "-c", "echo uid=$(id -u) gid=$(id -g)", "---", "{dummy}"}, stdout: "ug: uid=0 gid=0\n"},
		{name: "user by number", rkt: "TestAppUserGroup (rkt_run_user_group_test.go)",
			args: []string{"{dummy}", "{inspect}", "--name=ug", "--user=200", "--exec=/bin/sh", "--", "-c", "echo uid=$(id -u) gid=$(id -g)"}, stdout: "ug: uid=200 gid=0\n"},
		{name: "group by number", rkt: "TestAppUserGroup (rkt_run_user_group_test.go)",
			args: []string{"{inspect}", "--name=ug", "--group=300", "--exec=/bin/sh", "--", "-c", "echo uid=$(id -u) gid=$(id -g)", "---", "{dummy}"}, stdout: "ug: uid=0 gid=300\n"},
		{name: "user by name", rkt: "TestAppUserGroup (rkt_run_user_group_test.go)",
			args: []string{"{inspect}", "--name=ug", "--user=user1", "--group=300", "--exec=/bin/sh", "--", "-c", "echo uid=$(id -u) gid=$(id -g)", "---", "{dummy}"}, stdout: "ug: uid=1000 gid=300\n"},
		{name: "group by name", rkt: "TestAppUserGroup (rkt_run_user_group_test.go)",
			args: []string{"{dummy}", "---", "{inspect}", "--name=ug", "--user=200", "--group=group1", "--exec=/bin/sh", "--", "-c", "echo uid=$(id -u) gid=$(id -g)"}, stdout: "ug: uid=200 gid=100\n"},
		{name: "user and group from the image", rkt: "TestAppUserGroup (rkt_run_user_group_test.go)",
			args: []string{"{ug}", "---", "{dummy}"}, stdout: "ug: uid=400 gid=500\n"},
		{name: "user flag over the image's", rkt: "TestAppUserGroup (rkt_run_user_group_test.go)",
			args: []string{"{dummy}", "{ug}", "--user=200"}, stdout: "ug: uid=200 gid=500\n"},
		{name: "group flag over the image's", rkt: "TestAppUserGroup (rkt_run_user_group_test.go)",
			args: []string{"{ug}", "--group=300", "{dummy}"}, stdout: "ug: uid=400 gid=300\n"},
		{name: "names over the image's numbers", rkt: "TestAppUserGroup (rkt_run_user_group_test.go)",
			args: []string{"{ug}", "--user=user1", "--group=group1", "---", "{dummy}"}, stdout: "ug: uid=1000 gid=100\n"},
		{name: "unknown user name", rkt: "TestAppUserGroup (rkt_run_user_group_test.go); user lookup in the app's /etc/passwd",
			args: sh("id", "--user=nosuchuser"), code: exitAppNotStarted, stderr: "nosuchuser"},
		{name: "supplementary groups", rkt: "--supplementary-gids (rkt_run_user_group_test.go era, Documentation/subcommands/run.md)",
			args: sh("id -G", "--user=user1", "--group=group1", "--supplementary-gids=300,400"), stdout: "^100 300 400\n$"},

		// rkt_caps_test.go (stage 2 and non-root).
		{name: "no CAP_NET_ADMIN by default", rkt: "TestCaps (rkt_caps_test.go)", args: sh(capCheck("net_admin", capNetAdmin)),
			stdout: "^net_admin=disabled\nUser: uid=0 gid=0\n$"},
		{name: "CAP_MKNOD by default", rkt: "TestCaps (rkt_caps_test.go)", args: sh(capCheck("mknod", capMknod)),
			stdout: "^mknod=enabled\n"},
		{name: "retain-set grants CAP_NET_ADMIN", rkt: "TestCaps (rkt_caps_test.go)",
			args: sh(capCheck("net_admin", capNetAdmin), "--caps-retain=CAP_NET_ADMIN,CAP_NET_BIND_SERVICE"), stdout: "^net_admin=enabled\n"},
		{name: "retain-set keeps CAP_NET_BIND_SERVICE", rkt: "TestCaps (rkt_caps_test.go)",
			args: sh(capCheck("net_bind_service", capNetBindService), "--caps-retain=CAP_NET_ADMIN,CAP_NET_BIND_SERVICE"), stdout: "^net_bind_service=enabled\n"},
		{name: "retain-set is exactly the set", rkt: "TestCaps (rkt_caps_test.go)",
			args:   sh(capCheck("net_admin", capNetAdmin)+"; "+capCheck("mknod", capMknod), "--caps-retain=CAP_NET_BIND_SERVICE"),
			stdout: "^net_admin=disabled\n.*\nmknod=disabled\n"},
		{name: "retain-set from the image manifest", rkt: "TestCaps (rkt_caps_test.go, --capability in the image)",
			args: []string{"{caps}"}, stdout: "^net_admin=enabled\n"},
		{name: "non-root: retain-set", rkt: "TestCapsNonRoot (rkt_caps_test.go)",
			args:   sh(capCheck("net_admin", capNetAdmin), "--user=9000", "--group=9000", "--caps-retain=CAP_NET_ADMIN,CAP_NET_BIND_SERVICE"),
			stdout: "^net_admin=enabled\nUser: uid=9000 gid=9000\n$"},
		{name: "non-root: default set", rkt: "TestCapsNonRoot (rkt_caps_test.go)",
			args: sh(capCheck("net_admin", capNetAdmin), "--user=9000", "--group=9000"), stdout: "^net_admin=disabled\nUser: uid=9000 gid=9000\n$"},
		{name: "remove-set", rkt: "TestCaps remove-set (rkt_caps_nspawn_test.go, --caps-remove)",
			args: sh(capCheck("mknod", capMknod)+"; "+capCheck("chown", capChown), "--caps-remove=CAP_MKNOD"), stdout: "^mknod=disabled\n.*\nchown=enabled\n"},

		// rkt_exec_test.go
		{name: "image exec", rkt: "TestRunOverrideExec (rkt_exec_test.go)",
			args: []string{"{args}"}, stdout: "^default args\n$"},
		{name: "arguments after -- replace the image's", rkt: "TestRunOverrideExec (rkt_exec_test.go)",
			args: []string{"{args}", "--", "one", "two words"}, stdout: "^one two words\n$"},
		{name: "--exec PATH (two words)", rkt: "TestRunOverrideExec (rkt_exec_test.go)",
			args: []string{"{args}", "--exec", "/bin/sh", "--", "-c", `echo "execed as: $0"`}, stdout: "^execed as: /bin/sh\n$"},
		{name: "--exec on an image without an app", rkt: "TestRunOverrideExec (rkt_exec_test.go)",
			args: []string{"{noapp}", "--exec", "/bin/echo", "--", "inspect", "execed"}, stdout: "^inspect execed\n$"},
		{name: "an image without an app needs --exec", rkt: "TestRunOverrideExec (rkt_exec_test.go, the converse)",
			args: []string{"{noapp}"}, code: 2, stderr: "no app to run: give --exec"},

		// rkt_hostname_test.go
		{name: "hostname flag", rkt: "TestHostname (rkt_hostname_test.go)",
			args: append([]string{"--hostname=test-hostname"}, sh("echo Hostname: $(hostname)")...), stdout: "^Hostname: test-hostname\n$"},
		{name: "default hostname", rkt: "TestHostname (rkt_hostname_test.go)",
			differs: "the default is acrun-UUID where rkt's is rkt-UUID: the tool's name",
			args:    sh("echo Hostname: $(hostname)"), stdout: "^Hostname: acrun-[0-9a-f-]{36}\n$"},

		{name: "etc/hostname", rkt: "TestPrepareAppCheckEtcHostname (rkt_etc_hosts_test.go)",
			args: append([]string{"--hostname=custom-hostname-setting"}, sh("stat -c %A /etc/hostname; cat /etc/hostname")...), stdout: "^-rw-r--r--\ncustom-hostname-setting\n$"},
		{name: "etc/hostname by default", rkt: "TestPrepareAppCheckEtcHostname (rkt_etc_hosts_test.go)",
			differs: "acrun-UUID where rkt has rkt-UUID, as for the hostname",
			args:    sh("cat /etc/hostname"), stdout: "^acrun-[0-9a-f-]{36}\n$"},

		// Working directory (rkt_run_pod_manifest_test.go checks the image's; --working-dir is run.md's).
		{name: "image working directory", rkt: "TestPodManifest workingDirectory (rkt_run_pod_manifest_test.go)",
			args: []string{"{wd}"}, stdout: "^/srv\n$"},
		{name: "--working-dir", rkt: "--working-dir (Documentation/subcommands/run.md)",
			args: sh("pwd", "--working-dir=/tmp"), stdout: "^/tmp\n$"},

		// rkt_os_arch_test.go
		{name: "os/arch of this host", rkt: "TestMissingOrInvalidOSArchRun (rkt_os_arch_test.go)", args: []string{"{os-good}"}, stdout: "^HelloWorld\n$"},
		{name: "bad os refused", rkt: "TestMissingOrInvalidOSArchRun (rkt_os_arch_test.go)", args: []string{"{os-freebsd}"}, code: 3,
			stderr: `os/arch freebsd/amd64`},
		{name: "unsupported arch refused", rkt: "TestMissingOrInvalidOSArchRun (rkt_os_arch_test.go)", args: []string{"{os-armv6l}"}, code: 3,
			stderr: `os/arch linux/armv6l`},
		{name: "another arch refused", rkt: "TestMissingOrInvalidOSArchRun (rkt_os_arch_test.go)", args: []string{"{os-other}"}, code: 3,
			stderr: `os/arch linux/` + otherArch()},
		{name: "another arch without an os label refused", rkt: "TestMissingOrInvalidOSArchRun (rkt_os_arch_test.go)", args: []string{"{os-noos-other}"}, code: 3,
			stderr: `os/arch any/` + otherArch()},
		{name: "another arch refused by image ID", rkt: "TestMissingOrInvalidOSArchFetchRun (rkt_os_arch_test.go)", check: checkOSArchByID},
		{name: "missing os label", rkt: "TestMissingOrInvalidOSArchRun (rkt_os_arch_test.go)",
			differs: "the AppC spec makes the os and arch labels optional (an image without them runs anywhere); rkt refused them, acrun runs them",
			args:    []string{"{os-noos}"}, stdout: "^HelloWorld\n$"},
		{name: "missing arch label", rkt: "TestMissingOrInvalidOSArchRun (rkt_os_arch_test.go)",
			differs: "as for the os label: arch is optional in the spec, acrun runs the image",
			args:    []string{"{os-noarch}"}, stdout: "^HelloWorld\n$"},

		// rkt_etc_hosts_test.go and rkt_dns_test.go
		{name: "etc/hosts created", rkt: "TestPrepareAppEnsureEtcHosts (rkt_etc_hosts_test.go)",
			args: sh("cat /etc/hosts"), stdout: `(?m)^127\.0\.0\.1\s.*localhost`},
		{name: "etc/hosts from a volume kept", rkt: "TestPrepareAppEnsureEtcHosts (rkt_etc_hosts_test.go)",
			args: []string{"--volume=etc,kind=host,source={etcdir}", "{mpetc}", "--exec=/bin/cat", "--", "/etc/hosts"}, stdout: "^<<<preexisting etc>>>$"},
		{name: "etc/hosts names the pod's hostname", rkt: "TestEtcHosts (rkt_etc_hosts_test.go)",
			args: append([]string{"--hostname=box1"}, sh("cat /etc/hosts")...), stdout: `(?m)^127\.0\.0\.1\s+localhost.*\sbox1$`},
		{name: "etc/hosts as a mounted file", rkt: "TestEtcHosts (rkt_etc_hosts_test.go)",
			args:   append([]string{"--volume=hosts,kind=host,source={etcdir}/hosts", "--mount=volume=hosts,target=/etc/hosts"}, sh("cat /etc/hosts")...),
			stdout: "^<<<preexisting etc>>>$"},
		{name: "--hosts-entry=host", rkt: "TestEtcHosts (rkt_etc_hosts_test.go)",
			args: append([]string{"--hosts-entry=host", "--volume=hostfile,kind=host,source=/etc/hosts,readOnly=true", "--mount=volume=hostfile,target=/host-hosts"},
				sh("cmp /etc/hosts /host-hosts && echo same")...), stdout: "^same\n$"},
		{name: "--hosts-entry IP=NAME", rkt: "TestEtcHosts (rkt_etc_hosts_test.go)",
			args:   append([]string{"--hostname=box1", "--hosts-entry=128.66.0.99=host1", "--hosts-entry=128.66.0.98=host2"}, sh("cat /etc/hosts")...),
			stdout: `(?m)^127\.0\.0\.1\s+localhost.*\sbox1\n(.*\n)*128\.66\.0\.99\s+host1\n128\.66\.0\.98\s+host2\n$`},
		{name: "the image's /etc/hosts kept", rkt: "TestEtcHosts (rkt_etc_hosts_test.go: prepare-app leaves the app's file)",
			args: []string{"{hosts}"}, stdout: "^image-hosts\n$"},
		{name: "--hosts-entry replaces the image's /etc/hosts", rkt: "TestEtcHosts (rkt_etc_hosts_test.go: stage0's file overwrites the app's)",
			args: []string{"--hosts-entry=128.66.0.99=host1", "{hosts}"}, stdout: `(?m)^128\.66\.0\.99\s+host1$`},
		{name: "--hosts-entry read by a non-root app", rkt: "TestEtcHosts (rkt_etc_hosts_test.go)",
			args: append([]string{"--hosts-entry=128.66.0.99=host1"}, sh("grep host1 /etc/hosts", "--user=1000", "--group=100")...), stdout: `^128\.66\.0\.99\s+host1\n$`},
		{name: "--hosts-entry host with others refused", rkt: "TestEtcHosts (rkt_etc_hosts_test.go), the converse",
			args: append([]string{"--hosts-entry=host", "--hosts-entry=128.66.0.99=host1"}, sh("true")...), code: 2, stderr: "cannot be combined"},
		{name: "--hosts-entry of no address refused", rkt: "TestEtcHosts (rkt_etc_hosts_test.go), the converse",
			args: append([]string{"--hosts-entry=notanip=host1"}, sh("true")...), code: 2, stderr: `--hosts-entry "notanip=host1"`},
		{name: "no --dns", rkt: "TestDNS (rkt_dns_test.go)",
			differs: "without --dns acrun gives the app the host's /etc/resolv.conf (rkt wrote none unless a CNI result carried DNS)",
			args: append([]string{"--volume=hostresolv,kind=host,source=/etc/resolv.conf,readOnly=true"},
				sh("cmp /etc/resolv.conf /host-resolv.conf && echo same", "--mount=volume=hostresolv,target=/host-resolv.conf")...),
			stdout: "^same\n$"},
		{name: "--dns", rkt: "TestDNS (rkt_dns_test.go)", args: append([]string{"--dns=8.8.4.4"}, sh("cat /etc/resolv.conf")...), stdout: "^nameserver 8.8.4.4\n$"},
		{name: "--dns twice", rkt: "TestDNS (rkt_dns_test.go)", args: append([]string{"--dns=8.8.8.8", "--dns=8.8.4.4"}, sh("cat /etc/resolv.conf")...),
			stdout: "^nameserver 8.8.8.8\nnameserver 8.8.4.4\n$"},
		{name: "--dns-search", rkt: "TestDNS (rkt_dns_test.go)", args: append([]string{"--dns-search=foo.com", "--dns-search=bar.com"}, sh("cat /etc/resolv.conf")...),
			stdout: "(?m)^search foo.com bar.com$"},
		{name: "--dns-opt", rkt: "TestDNS (rkt_dns_test.go)", args: append([]string{"--dns-opt=debug", "--dns-opt=use-vc", "--dns-opt=rotate"}, sh("cat /etc/resolv.conf")...),
			stdout: "(?m)^options debug use-vc rotate$"},
		{name: "--dns with search and options", rkt: "TestDNS (rkt_dns_test.go)",
			args:   append([]string{"--dns=8.8.8.8", "--dns=8.8.4.4", "--dns-search=search.com", "--dns-opt=debug"}, sh("cat /etc/resolv.conf")...),
			stdout: "^nameserver 8.8.8.8\nnameserver 8.8.4.4\nsearch search.com\noptions debug\n$"},

		{name: "--dns-domain", rkt: "TestDNS (rkt_dns_test.go; --dns-domain in run.md)",
			args: append([]string{"--dns=8.8.8.8", "--dns-domain=example.com"}, sh("cat /etc/resolv.conf")...), stdout: "^nameserver 8.8.8.8\ndomain example.com\n$"},
		{name: "--dns-search of two words refused", rkt: "TestDNS (rkt_dns_test.go), the converse",
			args: append([]string{"--dns-search=a.com b.com"}, sh("true")...), code: 2, stderr: `--dns-search "a.com b.com": want one word`},
		{name: "empty --dns-opt refused", rkt: "TestDNS (rkt_dns_test.go), the converse",
			args: append([]string{"--dns-opt="}, sh("true")...), code: 2, stderr: `--dns-opt "": want one word`},

		// Volumes: rkt_mount_test.go, rkt_volume_test.go.
		{name: "host volume is shared with the host", rkt: "TestVolumes host volume (rkt_volume_test.go)", check: checkHostVolume},
		{name: "relative mount target", rkt: "TestVolumes (rkt_volume_test.go: --mount=volume=dir1,target=dir1)",
			args:   append([]string{"--volume=data,kind=host,source={voldir}", "--mount=volume=data,target=data"}, sh("cat /data/file")...),
			stdout: "^host-data\n$"},
		{name: "--mount over a read-only mount point stays read-only", rkt: "TestVolumes (rkt_volume_test.go: VOL_RO_WRITE_FILE)",
			args: []string{"--volume=data,kind=host,source={voldir}", "{mpdata}", "--mount=volume=data,target=data",
				"--exec=/bin/sh", "--", "-c", "cat /data/file; touch /data/x 2>&1; echo rc=$?"},
			stdout: "^host-data\n.*Read-only file system\nrc=1\n$"},
		{name: "read-only host volume", rkt: "TestVolumes readOnly (rkt_volume_test.go)",
			args:   append([]string{"--volume=data,kind=host,source={voldir},readOnly=true", "--mount=volume=data,target=/data"}, sh("cat /data/file; touch /data/x 2>&1; echo rc=$?")...),
			stdout: "^host-data\n.*Read-only file system\nrc=1\n$"},
		{name: "read-only mount point in the image", rkt: "TestVolumes mount point readOnly (rkt_volume_test.go)",
			args:   []string{"--volume=data,kind=host,source={voldir}", "{mpdata}", "--exec=/bin/sh", "--", "-c", "cat /data/file; touch /data/x 2>&1; echo rc=$?"},
			stdout: "^host-data\n.*Read-only file system\nrc=1\n$"},
		{name: "empty volume", rkt: "TestVolumes empty volume (rkt_volume_test.go)",
			args:   append([]string{"--volume=scratch,kind=empty,mode=0750,uid=1000,gid=100", "--mount=volume=scratch,target=/scratch"}, sh("stat -c '%a %u %g' /scratch")...),
			stdout: "^750 1000 100\n$"},
		{name: "mount point without a volume", rkt: "TestVolumes implicit empty volume (rkt_volume_test.go; stage0 creates one)",
			args: []string{"{mpdata}", "--exec=/bin/sh", "--", "-c", "ls -A /data; echo listed"}, stdout: "^listed\n$", stderr: `mount point "?data"? .*empty`},
		{name: "mount through an absolute symlink", rkt: "TestMountSymlink (rkt_mount_test.go)",
			args:   append([]string{"--volume=test,kind=host,source={hello}", "--mount=volume=test,target=/dir1/link_abs_dir2/foo"}, sh("cat /dir2/foo")...),
			stdout: "^world$"},
		{name: "mount through a relative symlink", rkt: "TestMountSymlink (rkt_mount_test.go)",
			args:   append([]string{"--volume=test,kind=host,source={hello}", "--mount=volume=test,target=/dir1/../dir1/.//link_rel_dir2/bar"}, sh("cat /dir2/bar")...),
			stdout: "^world$"},
		{name: "mount through a link out of the root", rkt: "TestMountSymlink (rkt_mount_test.go)",
			differs: "acrun mounts after pivot_root, where a link that climbs above / stops at the app's own /: the mount lands inside the app (rkt refused it, exit 3); the host is never reached",
			args:    append([]string{"--volume=test,kind=host,source={hello}", "--mount=volume=test,target=/dir1/link_invalid/foo"}, sh("cat /foo")...),
			stdout:  "^world$"},
		{name: "--readonly-rootfs", rkt: "TestPodManifest readOnlyRootFS (rkt_run_pod_manifest_test.go)",
			args: sh("touch /x 2>&1; echo rc=$?", "--readonly-rootfs"), stdout: "Read-only file system\nrc=1\n$"},

		// Isolators: rkt_app_isolator_test.go, rkt_oom_score_adj_test.go, rkt_no_new_privs_test.go.
		{name: "memory and CPU limits from the image", rkt: "TestAppIsolatorMemory, TestAppIsolatorCPU, TestCgroups (rkt_app_isolator_test.go)",
			differs: "missing: a cgroup file system in the app (it needs a cgroup namespace; rkt's stage1 mounted the hierarchies read-only), so the app cannot read its limits; the limits themselves are the app cgroup's, as in rkt",
			check:   checkMemoryLimit},
		{name: "memory limit kills", rkt: "TestAppIsolatorMemory (rkt_app_isolator_test.go)",
			args: []string{"{inspect}", "--memory=32M", "--exec=/bin/awk", "--", `BEGIN { s = "x"; while (1) s = s s }`}, code: 137, stderr: "OOM"},
		{name: "oom-score-adj from the image", rkt: "TestOOMScoreAdjust (rkt_oom_score_adj_test.go)",
			args: []string{"{oom}", "--exec=/bin/cat", "--", "/proc/self/oom_score_adj"}, stdout: "^99\n$"},
		{name: "oom-score-adj by default", rkt: "TestOOMScoreAdjust (rkt_oom_score_adj_test.go)",
			args: sh("cat /proc/self/oom_score_adj"), stdout: "^0\n$"},
		{name: "--oom-score-adj", rkt: "TestOOMScoreAdjust (rkt_oom_score_adj_test.go)",
			args: sh("cat /proc/self/oom_score_adj", "--oom-score-adj", "42"), stdout: "^42\n$"},
		{name: "no-new-privileges from the image", rkt: "TestNoNewPrivileges (rkt_no_new_privs_test.go)",
			args: []string{"{nnp}", "--exec=/bin/grep", "--", "NoNewPrivs", "/proc/self/status"}, stdout: `^NoNewPrivs:\s+1\n$`},
		{name: "no-new-privileges from the image, non-root", rkt: "TestNoNewPrivileges (rkt_no_new_privs_test.go)",
			args: []string{"{nnp}", "--user=1000", "--group=100", "--exec=/bin/grep", "--", "NoNewPrivs", "/proc/self/status"}, stdout: `^NoNewPrivs:\s+1\n$`},
		{name: "--no-new-privileges", rkt: "TestNoNewPrivileges (rkt_no_new_privs_test.go)",
			args: sh("grep NoNewPrivs /proc/self/status", "--no-new-privileges"), stdout: `^NoNewPrivs:\s+1\n$`},
		{name: "new privileges by default", rkt: "TestNoNewPrivileges (rkt_no_new_privs_test.go)",
			args: sh("grep NoNewPrivs /proc/self/status", "--user=1000", "--group=100"), stdout: `^NoNewPrivs:\s+0\n$`},

		// rkt_metadata_service_test.go
		{name: "app annotation from the metadata service", rkt: "TestFetchAppAnnotation (rkt_metadata_service_test.go)",
			differs: "acrun serves every pod (rkt needed --mds-register and a running metadata-service), and the annotation is read from the app's JSON list, the AppC spec's endpoint (rkt also answered .../annotations/NAME, from an older spec)",
			args: []string{"{annot}", "--exec=/bin/sh", "--", "-c",
				`wget -qO- --header "Metadata-Flavor: AppContainer" "$AC_METADATA_URL/acMetadata/v1/apps/$AC_APP_NAME/annotations"`},
			stdout: `^\[\{"name":"example.com/run","value":"/ex/run"\}\]$`},

		// rkt_paths_test.go
		{name: "proc/sys is read-only", rkt: "TestPathsWrite (rkt_paths_test.go: /proc/sysrq-trigger)",
			args: sh("echo x > /proc/sys/kernel/domainname; echo rc=$?"), stdout: "^rc=1\n$", stderr: "Read-only file system"},
		{name: "sys/firmware is hidden", rkt: "TestPathsStat (rkt_paths_test.go)",
			differs: "acrun hides it under an empty read-only tmpfs (mode drwxrwxrwt) where rkt left a d--------- directory: nothing of the host's shows either way",
			args:    sh("stat -c %A /sys/firmware; ls -A /sys/firmware | wc -l; touch /sys/firmware/x 2>/dev/null || echo refused"), stdout: "^d[rwxtT-]{9}\n0\nrefused\n$"},
		{name: "--insecure-options=paths", rkt: "TestPathsWrite (rkt_paths_test.go)",
			differs: "acrun has no run-time insecure options (paths, capabilities, seccomp): what it masks stays masked; the option is refused as unknown",
			args:    []string{"--insecure-options=image,paths", "{dummy}"}, code: 2, stderr: "paths"},

		// rkt_devices_test.go: the devices an app may make and use.
		{name: "mknod of /dev/null's device", rkt: "TestDevices (rkt_devices_test.go)",
			args: sh("mknod /dev/null2 c 1 3 && echo x > /dev/null2 && echo succeed"), stdout: "^succeed\n$"},
		{name: "a device node made in /dev does not open", rkt: "TestDevices (rkt_devices_test.go: mknod c 10 237 /loop-control fails)",
			differs: "acrun allows mknod of any node, as runc does, and refuses opening one outside the allow-list (EPERM), where rkt refused the mknod itself",
			args:    sh("mknod /dev/lc c 10 237 && echo made && head -c 1 /dev/lc; echo rc=$?"), stdout: "^made\nrc=1\n$", stderr: "Operation not permitted"},
		{name: "a block device made in /dev does not open", rkt: "TestDevices (rkt_devices_test.go)",
			differs: "as above: the mknod succeeds, the open fails",
			args:    sh("mknod /dev/loop0x b 7 0 && echo made && head -c 1 /dev/loop0x; echo rc=$?"), stdout: "^made\nrc=1\n$", stderr: "Operation not permitted"},
		{name: "a host volume's device node opens", rkt: "TestDevices (rkt_devices_test.go: --volume source=/dev/loop-control)",
			args:   append([]string{"--volume=lc,kind=host,source=/dev/loop-control"}, sh("head -c 1 /tmp/loop-control; echo rc=$?", "--mount=volume=lc,target=/tmp/loop-control")...),
			stdout: "^rc=1\n$", stderr: "/loop-control: (Input/output error|Invalid argument)"},
		{name: "a host volume of a device directory opens its nodes", rkt: "TestDevices (rkt_devices_test.go: --volume source=/dev/loop-control)",
			args:   append([]string{"--volume=dev,kind=host,source=/dev"}, sh("head -c 1 /hostdev/loop-control; echo rc=$?", "--mount=volume=dev,target=/hostdev")...),
			stdout: "^rc=1\n$", stderr: "/loop-control: (Input/output error|Invalid argument)"},
		{name: "the standard device nodes work", rkt: "TestDevices (rkt_devices_test.go: no restriction on /dev/null)",
			args:   sh("echo x > /dev/null && head -c 3 /dev/zero | wc -c && head -c 3 /dev/urandom | wc -c && head -c 3 /dev/random | wc -c && head -c 3 /dev/full | wc -c && { echo x > /dev/full; echo full=$?; } && mknod /dev/z2 c 1 5 && head -c 2 /dev/z2 | wc -c"),
			stdout: "^3\n3\n3\n3\nfull=1\n2\n$"},

		// Networking: rkt_net_test.go.
		{name: "--net=host shares the host's network namespace", rkt: "TestNetHost (rkt_net_test.go)", check: checkNetNS("--net=host", true, "")},
		{name: "--net=none: a namespace with only lo", rkt: "TestNetNone (rkt_net_test.go)", check: checkNetNS("--net=none", false, "^lo\n$")},
		{name: "default network: eth0 and lo", rkt: "TestNetDefaultNetNS (rkt_net_test.go)", check: checkNetNS("--net=default", false, "^eth0\nlo\n$")},
		{name: "default network: the pod's address", rkt: "TestNetDefaultConnectivity (rkt_net_test.go)",
			args: append([]string{"--net=default"}, sh("ip -4 -o addr show eth0")...), stdout: `inet 172\.16\.28\.\d+/24 `},
		{name: "port forwarded from 127.0.0.1", rkt: "TestNetDefaultPortFwdConnectivity (rkt_net_test.go)", check: checkPortForward},
		{name: "--port with --net=none refused", rkt: "TestNetDefaultPortFwdConnectivity (rkt_net_test.go); run.md: --port needs a contained network",
			args: []string{"--net=none", "--port=http:18090", "{ports}"}, code: 2, stderr: "--port needs a network"},

		// Signals, status, list, gc: rkt_stop_test.go, rkt_list_test.go, rkt_gc_test.go.
		{name: "SIGTERM stops the pod", rkt: "TestRktStop (rkt_stop_test.go)",
			differs: "acrun has no stop command: acrun itself supervises the pod (no stage1 stop entrypoint), so the pod is stopped by SIGTERM (or SIGINT) to acrun, which the app sees and whose code acrun exits with",
			check:   checkSIGTERM},
		{name: "an app ignoring SIGTERM is killed", rkt: "TestRktStop --force (rkt_stop_test.go)",
			differs: "as above: no stop --force; after --stop-timeout acrun kills the pod",
			check:   checkStopTimeout},
		{name: "--interactive: stdin reaches the app", rkt: "TestInteractive (rkt_interactive_test.go)", check: checkInteractive},
		{name: "stdin is not a terminal without --interactive", rkt: "TestInteractive (rkt_interactive_test.go)",
			args: sh(`[ -t 0 ] && echo "stdin is a terminal" || echo "stdin is not a terminal"`), stdout: "^stdin is not a terminal\n$"},
		{name: "list and status of a running pod", rkt: "TestRktList (rkt_list_test.go)",
			differs: "acrun list shows each pod's app names where rkt showed IMAGE NAME (and IMAGE ID with --full); list --json carries both, and the row checks them there",
			check:   checkListRunning},
		{name: "gc removes exited pods", rkt: "TestGC (rkt_gc_test.go)", check: checkGC},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			if r.rkt == "" {
				t.Fatal("row names no rkt test")
			}
			if r.check == nil && r.stdout == "" && r.stderr == "" && r.status == "" {
				t.Fatal("row checks no output")
			}
			if r.check != nil {
				r.check(t, w)
				return
			}
			w.runRow(t, r)
		})
	}
}

// build makes the shared images and host paths once.
func (w *rktWorld) build(t *testing.T) {
	e := w.e
	users := func(dir string) {
		// rkt's test image has user1 (1000) and group1 (100).
		appendFile(t, filepath.Join(dir, "rootfs", "etc", "passwd"), "user1:x:1000:100::/:/bin/sh\n")
		appendFile(t, filepath.Join(dir, "rootfs", "etc", "group"), "group1:x:100:\n")
	}
	img := func(key, name, appJSON string, labels string, edit func(dir string)) {
		dir := busyboxLayout(t, name, appJSON)
		users(dir)
		if labels != "" || appJSON == "-" {
			m := `{"acKind":"ImageManifest","acVersion":"0.8.11","name":"` + name + `","labels":[` + labels + `]`
			if appJSON != "-" {
				m += `,"app":` + appJSON
			}
			if err := os.WriteFile(filepath.Join(dir, "manifest"), []byte(m+"}"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if edit != nil {
			edit(filepath.Join(dir, "rootfs"))
		}
		w.paths[key] = buildImage(t, dir, filepath.Join(e.dir, key+".aci"))
	}
	linux := `{"name":"os","value":"linux"},{"name":"arch","value":"` + hostArch() + `"}`
	img("inspect", "example.com/rkt-inspect", `{"exec":["/bin/true"],"user":"0","group":"0","environment":[{"name":"VAR_FROM_MANIFEST","value":"manifest"}]}`, "",
		func(root string) {
			// rkt_mount_test.go's links.
			must(t, os.MkdirAll(filepath.Join(root, "dir1"), 0o755))
			must(t, os.MkdirAll(filepath.Join(root, "dir2"), 0o755))
			must(t, os.Symlink("/dir2", filepath.Join(root, "dir1", "link_abs_dir2")))
			must(t, os.Symlink("../dir2", filepath.Join(root, "dir1", "link_rel_dir2")))
			must(t, os.Symlink("/../../..", filepath.Join(root, "dir1", "link_invalid")))
			for _, a := range []string{"stat", "cmp", "pwd", "wget", "mknod", "timeout"} {
				must(t, os.Symlink("busybox", filepath.Join(root, "bin", a)))
			}
		})
	img("dummy", "example.com/dummy", `{"exec":["/bin/true"],"user":"0","group":"0"}`, "", nil)
	img("ug", "example.com/ug", `{"exec":["/bin/sh","-c","echo uid=$(id -u) gid=$(id -g)"],"user":"400","group":"500"}`, "", nil)
	img("args", "example.com/args", `{"exec":["/bin/echo","default","args"],"user":"0","group":"0"}`, "", nil)
	img("noapp", "example.com/noapp", "-", linux, nil)
	img("wd", "example.com/wd", `{"exec":["/bin/sh","-c","pwd"],"user":"0","group":"0","workingDirectory":"/srv"}`, "",
		func(root string) {
			must(t, os.MkdirAll(filepath.Join(root, "srv"), 0o755))
			must(t, os.Symlink("busybox", filepath.Join(root, "bin", "pwd")))
		})
	hello := `{"exec":["/bin/echo","HelloWorld"],"user":"0","group":"0","workingDirectory":"/"}`
	img("os-good", "example.com/os-good", hello, `{"name":"version","value":"1.0.0"},`+linux, nil)
	img("os-freebsd", "example.com/os-freebsd", hello, `{"name":"os","value":"freebsd"},{"name":"arch","value":"amd64"}`, nil)
	img("os-armv6l", "example.com/os-armv6l", hello, `{"name":"os","value":"linux"},{"name":"arch","value":"armv6l"}`, nil)
	img("os-other", "example.com/os-other", hello, `{"name":"os","value":"linux"},{"name":"arch","value":"`+otherArch()+`"}`, nil)
	img("os-noos", "example.com/os-noos", hello, `{"name":"arch","value":"`+hostArch()+`"}`, nil)
	img("os-noos-other", "example.com/os-noos-other", hello, `{"name":"arch","value":"`+otherArch()+`"}`, nil)
	img("os-noarch", "example.com/os-noarch", hello, `{"name":"os","value":"linux"}`, nil)
	img("hosts", "example.com/hosts", `{"exec":["/bin/cat","/etc/hosts"],"user":"0","group":"0"}`, "",
		func(root string) {
			must(t, os.WriteFile(filepath.Join(root, "etc", "hosts"), []byte("image-hosts\n"), 0o644))
		})
	img("oom", "example.com/oom", `{"exec":["/bin/true"],"user":"0","group":"0","isolators":[{"name":"os/linux/oom-score-adj","value":99}]}`, "", nil)
	img("nnp", "example.com/nnp", `{"exec":["/bin/true"],"user":"0","group":"0","isolators":[{"name":"os/linux/no-new-privileges","value":true}]}`, "", nil)
	img("annot", "example.com/annot", `{"exec":["/bin/true"],"user":"0","group":"0"}`, "", func(root string) {
		// rkt's test read its stage1's run annotation: an annotation whose name has slashes.
		m := filepath.Join(filepath.Dir(root), "manifest")
		b, err := os.ReadFile(m)
		must(t, err)
		b = append(bytes.TrimSuffix(b, []byte("}")), `,"annotations":[{"name":"example.com/run","value":"/ex/run"}]}`...)
		must(t, os.WriteFile(m, b, 0o644))
	})
	img("mpetc", "example.com/mpetc", `{"exec":["/bin/true"],"user":"0","group":"0","mountPoints":[{"name":"etc","path":"/etc"}]}`, "", nil)
	img("mpdata", "example.com/mpdata", `{"exec":["/bin/true"],"user":"0","group":"0","mountPoints":[{"name":"data","path":"/data","readOnly":true}]}`, "", nil)
	img("caps", "example.com/caps", `{"exec":["/bin/sh","-c",`+jsonString(capCheck("net_admin", 12))+`],"user":"0","group":"0",`+
		`"isolators":[{"name":"os/linux/capabilities-retain-set","value":{"set":["CAP_NET_ADMIN","CAP_NET_BIND_SERVICE"]}}]}`, "", nil)
	img("mem", "example.com/mem", `{"exec":["/bin/sh","-c","echo up; sleep 30"],"user":"0","group":"0",`+
		`"isolators":[{"name":"resource/memory","value":{"request":"25Mi","limit":"25Mi"}},{"name":"resource/cpu","value":{"request":"50m","limit":"800m"}}]}`, "", nil)
	img("ports", "example.com/ports", `{"exec":["/bin/sh","-c","echo HelloFromPod | nc -l -p 8080"],"user":"0","group":"0",`+
		`"ports":[{"name":"http","protocol":"tcp","port":8080}]}`, "", nil)

	envs := t.TempDir()
	// rkt's tests/env_file_test.conf, with a blank line.
	w.paths["envfile"] = filepath.Join(envs, "env")
	must(t, os.WriteFile(w.paths["envfile"], []byte("VAR_OTHER=file\n\nVAR_2=2\n"), 0o644))
	w.paths["envfile2"] = filepath.Join(envs, "env2")
	must(t, os.WriteFile(w.paths["envfile2"], []byte("# a comment\nVAR_FROM_MANIFEST=file\n"), 0o644))
	w.paths["badenvfile"] = filepath.Join(envs, "badenv")
	must(t, os.WriteFile(w.paths["badenvfile"], []byte("A=1\nnot a pair\n"), 0o644))
	etc := t.TempDir()
	must(t, os.WriteFile(filepath.Join(etc, "hosts"), []byte("<<<preexisting etc>>>"), 0o600))
	w.paths["etcdir"] = etc
	vol := t.TempDir()
	must(t, os.WriteFile(filepath.Join(vol, "file"), []byte("host-data\n"), 0o644))
	w.paths["voldir"] = vol

	hello2 := filepath.Join(t.TempDir(), "hello")
	must(t, os.WriteFile(hello2, []byte("world"), 0o666))
	w.paths["hello"] = hello2
}

// jsonString quotes s for a JSON document.
func jsonString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, name, s string) {
	f, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
	must(t, err)
	_, err = f.WriteString(s)
	must(t, err)
	must(t, f.Close())
}

// expand replaces {NAME} in each argument.
func (w *rktWorld) expand(args []string) []string {
	var pairs []string
	for k, v := range w.paths {
		pairs = append(pairs, "{"+k+"}", v)
	}
	r := strings.NewReplacer(pairs...)
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = r.Replace(a)
	}
	return out
}

// acrun runs acrun with the row's prefix (--insecure-options=image, and
// --net=none unless args choose a network), extra environment, and the
// pod's UUID saved; it returns the result and the UUID.
func (w *rktWorld) acrun(t *testing.T, env []string, args ...string) (testutil.Result, string) {
	t.Helper()
	uf := filepath.Join(t.TempDir(), "uuid")
	pre := []string{"--insecure-options=image", "--uuid-file-save=" + uf}
	if all := strings.Join(args, " "); !strings.Contains(all, "--net=") && !strings.Contains(all, "--port=") {
		pre = append(pre, "--net=none")
	}
	cmd := w.e.cmd(append(pre, w.expand(args)...)...)
	cmd.Env = append(cmd.Env, env...)
	var so, se strings.Builder
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := exitCode(err)
	if code < 0 {
		t.Fatalf("run acrun: %v", err)
	}
	b, _ := os.ReadFile(uf)
	return testutil.Result{Stdout: so.String(), Stderr: se.String(), Code: code}, strings.TrimSpace(string(b))
}

func (w *rktWorld) runRow(t *testing.T, r rktRow) {
	res, uuid := w.acrun(t, r.env, r.args...)
	if res.Code != r.code {
		t.Errorf("acrun %q = exit %d, want %d (stdout %q, stderr %q)", r.args, res.Code, r.code, res.Stdout, res.Stderr)
	}
	if !regexp.MustCompile(r.stdout).MatchString(res.Stdout) {
		t.Errorf("acrun %q: stdout %q, want a match for %q (stderr %q)", r.args, res.Stdout, r.stdout, res.Stderr)
	}
	if r.stderr != "" && !regexp.MustCompile(r.stderr).MatchString(res.Stderr) {
		t.Errorf("acrun %q: stderr %q, want a match for %q", r.args, res.Stderr, r.stderr)
	}
	if r.status != "" {
		st := w.e.run("status", uuid)
		if !regexp.MustCompile(r.status).MatchString(st.Stdout) {
			t.Errorf("acrun status %s = %q, want a match for %q", uuid, st.Stdout, r.status)
		}
	}
}

// startPod starts acrun in the background and waits for the pod to run.
func (w *rktWorld) startPod(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer, podInfo) {
	t.Helper()
	cmd, out, uuid := w.e.start(append([]string{"--insecure-options=image"}, w.expand(args)...)...)
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, out, waitRunning(t, w.e, uuid)
}

func checkEnterEnv(t *testing.T, w *rktWorld) {
	cmd, _, in := w.startPod(t, "--net=none", "--set-env=VAR_OTHER=setenv", "--inherit-env", "{inspect}", "--exec=/bin/sleep", "--", "30")
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	r := w.e.run("enter", in.UUID, "/bin/sh", "-c", "echo VAR_FROM_MANIFEST=$VAR_FROM_MANIFEST VAR_OTHER=$VAR_OTHER ACIKIT_POD_DIR=$ACIKIT_POD_DIR")
	want := "VAR_FROM_MANIFEST=manifest VAR_OTHER=setenv ACIKIT_POD_DIR=" + w.e.pods + "\n"
	if r.Code != 0 || r.Stdout != want {
		t.Errorf("enter %s = exit %d, stdout %q (stderr %q); want %q", in.UUID, r.Code, r.Stdout, r.Stderr, want)
	}
	// With two apps, each its own.
	cmd2, _, in2 := w.startPod(t, "--net=none", "--set-env=VAR_OTHER=pod",
		"{inspect}", "--name=a", "--exec=/bin/sleep", "--", "30", "---",
		"{inspect}", "--name=b", "--set-env=VAR_OTHER=b", "--exec=/bin/sleep", "--", "30")
	defer func() { cmd2.Process.Signal(syscall.SIGTERM); cmd2.Wait() }()
	for app, want := range map[string]string{"a": "pod a\n", "b": "b b\n"} {
		r := w.e.run("enter", "--app="+app, in2.UUID, "/bin/sh", "-c", "echo $VAR_OTHER $AC_APP_NAME")
		if r.Code != 0 || r.Stdout != want {
			t.Errorf("enter --app=%s = exit %d, stdout %q (stderr %q); want %q", app, r.Code, r.Stdout, r.Stderr, want)
		}
	}
}

func checkEnvFileStdin(t *testing.T, w *rktWorld) {
	cmd := w.e.cmd(w.expand(append([]string{"--insecure-options=image", "--net=none", "--set-env-file=-"}, sh("echo VAR_OTHER=$VAR_OTHER")...))...)
	cmd.Stdin = strings.NewReader("VAR_OTHER=stdin\n")
	out, err := cmd.Output()
	if exitCode(err) != 0 || string(out) != "VAR_OTHER=stdin\n" {
		t.Errorf("acrun --set-env-file=- = %v, stdout %q; want VAR_OTHER=stdin", err, out)
	}
}

func checkOSArchByID(t *testing.T, w *rktWorld) {
	// A first run stores the image (and is refused); the second names it by ID.
	r, _ := w.acrun(t, nil, "{os-other}")
	if r.Code != 3 {
		t.Fatalf("first run of the other-arch image = exit %d, stderr %q; want 3", r.Code, r.Stderr)
	}
	st, err := store.Open(w.e.store, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	im, err := st.Resolve("example.com/os-other", nil)
	if err != nil {
		t.Fatalf("the refused image is not in the store: %v", err)
	}
	m := im.ID[:20]
	r, _ = w.acrun(t, nil, m)
	if r.Code != 3 || !strings.Contains(r.Stderr, "os/arch linux/"+otherArch()) {
		t.Errorf("acrun %s = exit %d, stderr %q; want 3 and the os/arch", m, r.Code, r.Stderr)
	}
	// And in a pod manifest.
	pm := filepath.Join(t.TempDir(), "pod.json")
	must(t, os.WriteFile(pm, []byte(`{"acVersion":"0.8.11","acKind":"PodManifest","apps":[{"name":"other","image":{"id":"`+im.ID+`"}}]}`), 0o644))
	r, _ = w.acrun(t, nil, "--pod-manifest="+pm)
	if r.Code != 3 || !strings.Contains(r.Stderr, "os/arch linux/"+otherArch()) {
		t.Errorf("acrun --pod-manifest (image %s) = exit %d, stderr %q; want 3 and the os/arch", im.ID, r.Code, r.Stderr)
	}
}

func checkHostVolume(t *testing.T, w *rktWorld) {
	dir := t.TempDir()
	r, _ := w.acrun(t, nil, "--volume=data,kind=host,source="+dir, "--mount=volume=data,target=/data", "{inspect}",
		"--exec=/bin/sh", "--", "-c", "echo from-pod > /data/out && cat /data/out")
	b, err := os.ReadFile(filepath.Join(dir, "out"))
	if r.Code != 0 || r.Stdout != "from-pod\n" || err != nil || string(b) != "from-pod\n" {
		t.Errorf("host volume: exit %d, stdout %q, stderr %q; host file %q (%v); want from-pod on both sides", r.Code, r.Stdout, r.Stderr, b, err)
	}
}

// checkMemoryLimit: the image's limits (rkt's test image: 25Mi, 800m) are
// the app cgroup's.
func checkMemoryLimit(t *testing.T, w *rktWorld) {
	cmd, _, in := w.startPod(t, "--net=none", "{mem}")
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	mem, quota := "", ""
	for _, d := range in.Status.Cgroups {
		read := func(f string) string {
			b, _ := os.ReadFile(filepath.Join(d, "app-mem", f))
			return strings.TrimSpace(string(b))
		}
		for _, f := range []string{"memory.limit_in_bytes", "memory.max"} {
			if v := read(f); v != "" {
				mem = v
			}
		}
		if v := read("cpu.cfs_quota_us"); v != "" {
			quota = v
		}
		if v := strings.Fields(read("cpu.max")); len(v) > 0 {
			quota = v[0]
		}
	}
	if mem != "26214400" || quota != "80000" {
		t.Errorf("app cgroup: memory limit %q, CPU quota %q (cgroups %v); want 26214400 and 80000", mem, quota, in.Status.Cgroups)
	}
	// Inside, the app has no cgroup file system (see the row's differs).
	r := w.e.run("enter", in.UUID, "/bin/sh", "-c", "ls -A /sys/fs/cgroup | wc -l")
	if r.Code != 0 || strings.TrimSpace(r.Stdout) != "0" {
		t.Errorf("ls /sys/fs/cgroup in the pod: exit %d, stdout %q, stderr %q; want it empty", r.Code, r.Stdout, r.Stderr)
	}
}

func checkPortForward(t *testing.T, w *rktWorld) {
	testutil.RequireCommand(t, "iptables", "iptables")
	const hostPort = "18091"
	cmd, _, in := w.startPod(t, "--port=http:"+hostPort, "{ports}")
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	addr := ""
	if len(in.Status.Networks) > 0 && len(in.Status.Networks[0].Addresses) > 0 {
		addr = strings.SplitN(in.Status.Networks[0].Addresses[0], "/", 2)[0]
	}
	if !strings.HasPrefix(addr, "172.16.28.") {
		t.Fatalf("pod address %q, want one on the default network", addr)
	}
	var got string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+hostPort, time.Second)
		if err == nil {
			c.SetDeadline(time.Now().Add(3 * time.Second))
			got, _ = bufio.NewReader(c).ReadString('\n')
			c.Close()
			if got != "" {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got != "HelloFromPod\n" {
		t.Errorf("127.0.0.1:%s read %q, want HelloFromPod from the pod's port 8080", hostPort, got)
	}
}

// checkNetNS runs an app with the --net flag and compares its network
// namespace with the host's; interfaces, when set, must match the app's
// /sys/class/net.
func checkNetNS(flag string, same bool, interfaces string) func(*testing.T, *rktWorld) {
	return func(t *testing.T, w *rktWorld) {
		host, err := os.Readlink("/proc/self/ns/net")
		if err != nil {
			t.Fatal(err)
		}
		r, _ := w.acrun(t, nil, append([]string{flag}, sh("readlink /proc/self/ns/net; ls /sys/class/net")...)...)
		ns, ifs, _ := strings.Cut(r.Stdout, "\n")
		if r.Code != 0 || !strings.HasPrefix(ns, "net:[") || (ns == host) != same {
			t.Errorf("acrun %s: exit %d, netns %q (stderr %q); host's %q, want the same: %v", flag, r.Code, ns, r.Stderr, host, same)
		}
		if interfaces != "" && !regexp.MustCompile(interfaces).MatchString(ifs) {
			t.Errorf("acrun %s: interfaces %q, want a match for %q", flag, ifs, interfaces)
		}
	}
}

func checkSIGTERM(t *testing.T, w *rktWorld) {
	cmd, out, uuid := w.e.start("--insecure-options=image", "--net=none", w.paths["inspect"], "--exec=/bin/sh", "--", "-c",
		"trap 'echo got TERM; exit 42' TERM; echo ready; while :; do sleep 0.1; done")
	waitRunning(t, w.e, uuid)
	waitFor(t, 10*time.Second, "the app's trap", func() bool { return strings.Contains(out.String(), "ready") })
	cmd.Process.Signal(syscall.SIGTERM)
	code := exitCode(cmd.Wait())
	if code != 42 || !strings.Contains(out.String(), "got TERM") {
		t.Errorf("acrun after SIGTERM = exit %d, output %q; want 42 and the trap's output", code, out)
	}
	if r := w.e.run("status", uuid); !strings.Contains(r.Stdout, "state=exited") || !strings.Contains(r.Stdout, "app-rkt-inspect=42") {
		t.Errorf("status after SIGTERM = %q, want exited and app-rkt-inspect=42", r.Stdout)
	}
}

func checkStopTimeout(t *testing.T, w *rktWorld) {
	cmd, _, uuid := w.e.start("--insecure-options=image", "--net=none", "--stop-timeout=300ms", w.paths["inspect"], "--exec=/bin/sh", "--", "-c",
		"trap '' TERM; while :; do sleep 0.1; done")
	waitRunning(t, w.e, uuid)
	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	if code := exitCode(cmd.Wait()); code != 137 || time.Since(start) > 5*time.Second {
		t.Errorf("acrun after SIGTERM, app ignoring it = exit %d after %v; want 137 soon after the timeout", code, time.Since(start))
	}
	if r := w.e.run("status", uuid); !strings.Contains(r.Stdout, "state=exited\n") || !strings.Contains(r.Stdout, "app-rkt-inspect=137\n") {
		t.Errorf("status = %q, want exited and app-rkt-inspect=137", r.Stdout)
	}
}

func checkInteractive(t *testing.T, w *rktWorld) {
	cmd := w.e.cmd(w.expand([]string{"--insecure-options=image", "--net=none", "--interactive", "{inspect}", "--exec=/bin/sh", "--", "-c",
		`echo "Enter text:"; read line; echo "Received text: $line"`})...)
	cmd.Stdin = strings.NewReader("Bye\n")
	out, err := cmd.Output()
	if exitCode(err) != 0 || string(out) != "Enter text:\nReceived text: Bye\n" {
		t.Errorf("acrun --interactive < Bye = %v, stdout %q; want the app to read Bye", err, out)
	}
}

func checkListRunning(t *testing.T, w *rktWorld) {
	cmd, _, in := w.startPod(t, "--net=none", "{inspect}", "--exec=/bin/sleep", "--", "30")
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	r := w.e.run("list")
	line := regexp.MustCompile(`(?m)^` + in.UUID + `\s+rkt-inspect\s+running\s`)
	if r.Code != 0 || !strings.HasPrefix(r.Stdout, "UUID") || !line.MatchString(r.Stdout) {
		t.Errorf("list = exit %d, %q; want a header and %s rkt-inspect running", r.Code, r.Stdout, in.UUID)
	}
	j := w.e.run("list", "--json")
	if !strings.Contains(j.Stdout, `"imageName": "example.com/rkt-inspect"`) || !regexp.MustCompile(`"imageID": "sha512-[0-9a-f]{128}"`).MatchString(j.Stdout) {
		t.Errorf("list --json = %q, want the image's name and ID", j.Stdout)
	}
	st := w.e.run("status", in.UUID)
	for _, want := range []string{"state=running", "pid=" + strconv.Itoa(in.Status.Pid)} {
		if !strings.Contains(st.Stdout, want+"\n") {
			t.Errorf("status %s = %q, want %s", in.UUID, st.Stdout, want)
		}
	}
}

func checkGC(t *testing.T, w *rktWorld) {
	r, uuid := w.acrun(t, nil, "{dummy}")
	if r.Code != 0 || uuid == "" {
		t.Fatalf("acrun dummy = exit %d, stderr %q", r.Code, r.Stderr)
	}
	if st := w.e.run("status", uuid); !strings.Contains(st.Stdout, "state=exited\n") {
		t.Fatalf("status %s = %q, want exited", uuid, st.Stdout)
	}
	// Within the grace period the pod stays.
	if g := w.e.run("gc"); g.Code != 0 || strings.Contains(g.Stdout, uuid) {
		t.Errorf("gc with the default grace = exit %d, stdout %q; want %s kept", g.Code, g.Stdout, uuid)
	}
	g := w.e.run("gc", "--grace=0s")
	if g.Code != 0 || !strings.Contains(g.Stdout, uuid+"\n") {
		t.Errorf("gc --grace=0s = exit %d, stdout %q, stderr %q; want %s removed", g.Code, g.Stdout, g.Stderr, uuid)
	}
	if st := w.e.run("status", uuid); st.Code != 5 {
		t.Errorf("status after gc = exit %d, want 5 (not found)", st.Code)
	}
}
