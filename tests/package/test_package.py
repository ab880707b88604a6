"""
test_package.py: builds the .deb and the .rpm with cpack into a temporary
directory and checks them as a distribution would: the exact file list
(the pack's part computed by running the built binary's `pack`), owners,
modes, conffiles, dependencies against the libraries the binary links,
lintian, the changelog, the systemd unit (systemd-analyze verify and
security), and a whole life cycle of each package in a clean Debian root:
install, run the service as its user, upgrade, remove, purge.

The clean root is made with debootstrap once and cached as a tarball in the
build directory (packaging/debian-root/); every test unpacks a fresh copy.
If debootstrap cannot run (not installed, no Debian mirror reachable, not
root), the root tests are skipped with the reason, and the package is still
checked by unpacking it with `dpkg -x`.

Environment (set by packaging/packaging.cmake): PD_BIN, PD_BUILD_DIR,
PD_SOURCE_DIR, PD_CPACK, PD_PACKAGE_RELEASE; optional PD_DEBIAN_MIRROR.
"""
import gzip
import hashlib
import io
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest

BIN = os.environ.get("PD_BIN", "")
BUILD_DIR = os.environ.get("PD_BUILD_DIR", "")
SOURCE_DIR = os.environ.get("PD_SOURCE_DIR", "")
CPACK = os.environ.get("PD_CPACK", "cpack")
RELEASE = os.environ.get("PD_PACKAGE_RELEASE", "1")
MIRROR = os.environ.get("PD_DEBIAN_MIRROR", "http://deb.debian.org/debian")
CHROOT = shutil.which("chroot") or "/usr/sbin/chroot"

PACK = "opt/stackstorm/packs/pagerduty"
CONFIG = "etc/st2-pagerduty/config.yaml"
USER = "st2-pagerduty"

# What the .deb holds besides the pack: dpkg-deb -c paths, directories end in /.
DEB_FILES = {
    "etc/": "drwxr-xr-x",
    "etc/st2-pagerduty/": "drwxr-xr-x",
    CONFIG: "-rw-r-----",
    "lib/": "drwxr-xr-x",
    "lib/systemd/": "drwxr-xr-x",
    "lib/systemd/system/": "drwxr-xr-x",
    "lib/systemd/system/st2-pagerduty.service": "-rw-r--r--",
    "opt/": "drwxr-xr-x",
    "opt/stackstorm/": "drwxr-xr-x",
    "opt/stackstorm/packs/": "drwxr-xr-x",
    "usr/": "drwxr-xr-x",
    "usr/bin/": "drwxr-xr-x",
    "usr/bin/st2-pagerduty": "-rwxr-xr-x",
    "usr/share/": "drwxr-xr-x",
    "usr/share/doc/": "drwxr-xr-x",
    "usr/share/doc/st2-pagerduty/": "drwxr-xr-x",
    "usr/share/doc/st2-pagerduty/changelog.Debian.gz": "-rw-r--r--",
    "usr/share/doc/st2-pagerduty/config.example.yaml": "-rw-r--r--",
    "usr/share/doc/st2-pagerduty/copyright": "-rw-r--r--",
    "usr/share/lintian/": "drwxr-xr-x",
    "usr/share/lintian/overrides/": "drwxr-xr-x",
    "usr/share/lintian/overrides/st2-pagerduty": "-rw-r--r--",
    "usr/share/man/": "drwxr-xr-x",
    "usr/share/man/man1/": "drwxr-xr-x",
    "usr/share/man/man1/st2-pagerduty.1.gz": "-rw-r--r--",
    "var/": "drwxr-xr-x",
    "var/lib/": "drwxr-xr-x",
    "var/lib/st2-pagerduty/": "drwxr-xr-x",
}

# What the .rpm holds besides the pack: path -> (mode, owner, group, file flags).
RPM_FILES = {
    "/etc/st2-pagerduty": ("drwxr-x---", "root", USER, ""),
    "/" + CONFIG: ("-rw-r-----", "root", USER, "cn"),
    "/usr/bin/st2-pagerduty": ("-rwxr-xr-x", "root", "root", ""),
    "/usr/lib/systemd/system/st2-pagerduty.service": ("-rw-r--r--", "root", "root", ""),
    "/usr/share/doc/st2-pagerduty": ("drwxr-xr-x", "root", "root", ""),
    "/usr/share/doc/st2-pagerduty/config.example.yaml": ("-rw-r--r--", "root", "root", "d"),
    "/usr/share/licenses/st2-pagerduty": ("drwxr-xr-x", "root", "root", ""),
    "/usr/share/licenses/st2-pagerduty/LICENSE": ("-rw-r--r--", "root", "root", "l"),
    "/usr/share/man/man1/st2-pagerduty.1.gz": ("-rw-r--r--", "root", "root", "d"),
    "/var/lib/st2-pagerduty": ("drwxr-x---", USER, USER, ""),
}

SECRET = "package-test-secret"


def run(cmd, check=True, **kw):
    """Runs cmd, returns the CompletedProcess; on failure says what ran and what it printed."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       stdin=subprocess.DEVNULL, **kw)
    if check and p.returncode != 0:
        raise AssertionError("%s: exit %d\nstdout:\n%s\nstderr:\n%s"
                             % (" ".join(cmd), p.returncode, p.stdout, p.stderr))
    return p


def perms(mode):
    """ls-style permissions of a st_mode."""
    return stat.filemode(mode)


def version_of_binary():
    """The version the built binary reports: the project version."""
    out = run([BIN, "--version"]).stdout.strip()
    m = re.fullmatch(r"st2-pagerduty (\S+)", out)
    if not m:
        raise AssertionError("unexpected --version output: %r" % out)
    return m.group(1)


def needed_libraries():
    """SONAMEs the binary links directly (readelf -d NEEDED)."""
    out = run(["readelf", "-d", BIN]).stdout
    return sorted(set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)))


def host_package_of(soname):
    """The Debian package that provides soname on this machine (what shlibdeps must name)."""
    out = run(["ldconfig", "-p"]).stdout
    m = re.search(r"^\s*%s \(libc6,x86-64\) => (\S+)$" % re.escape(soname), out, re.M)
    if not m:
        m = re.search(r"^\s*%s \([^)]*\) => (\S+)$" % re.escape(soname), out, re.M)
    if not m:
        raise AssertionError("ldconfig does not know %s" % soname)
    path = os.path.realpath(m.group(1))
    for candidate in (m.group(1), path, path.replace("/usr/lib/", "/lib/", 1),
                      path.replace("/lib/", "/usr/lib/", 1)):
        p = run(["dpkg", "-S", candidate], check=False)
        if p.returncode == 0:
            return p.stdout.split(":")[0].strip()
    raise AssertionError("no Debian package owns %s" % path)


def debian_depends_names(depends):
    """Package names of a Depends field, without versions or alternatives."""
    names = set()
    for clause in depends.split(","):
        for alt in clause.split("|"):
            names.add(alt.strip().split(" ")[0].split(":")[0])
    return names


def generated_pack(dest):
    """
    Runs the built binary's `pack` into dest; returns {relative path: st_mode
    as packaged}: directories 0755, files 0644, or 0755 when `pack` made them
    executable (the launchers in actions/bin/), whatever the umask.
    """
    run([BIN, "pack", dest])
    tree = {}
    for top, dirs, files in os.walk(dest):
        for name in dirs + files:
            full = os.path.join(top, name)
            mode = os.lstat(full).st_mode
            if stat.S_ISDIR(mode):
                mode = stat.S_IFDIR | 0o755
            else:
                self_exec = mode & stat.S_IXUSR
                mode = stat.S_IFREG | (0o755 if self_exec else 0o644)
            tree[os.path.relpath(full, dest)] = mode
    if not tree:
        raise AssertionError("`st2-pagerduty pack` wrote nothing")
    return tree


class DebianRoot:
    """A cached debootstrap of the host's Debian release with the package's dependencies."""

    def __init__(self, depends):
        self.includes = sorted(debian_depends_names(depends))
        self.cache = os.path.join(BUILD_DIR, "packaging", "debian-root")
        self.tarball = os.path.join(self.cache, "rootfs.tar")
        self.reason = None

    def _suite(self):
        try:
            with open("/etc/os-release") as f:
                osr = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
        except OSError as e:
            return None, "cannot read /etc/os-release: %s" % e
        if osr.get("ID") != "debian" or not osr.get("VERSION_CODENAME"):
            return None, "the host is not Debian (%s): no matching root to make" % osr.get("ID")
        return osr["VERSION_CODENAME"].strip('"'), None

    def prepare(self):
        """Makes the cached tarball if needed; returns None, or why it cannot."""
        if os.geteuid() != 0:
            return "debootstrap and chroot need root"
        suite, why = self._suite()
        if why:
            return why
        key = "%s %s %s\n" % (suite, MIRROR, ",".join(self.includes))
        keyfile = os.path.join(self.cache, "key")
        if os.path.exists(self.tarball) and os.path.exists(keyfile):
            with open(keyfile) as f:
                if f.read() == key:
                    return None
        if shutil.which("debootstrap") is None:
            return "debootstrap is not installed (packaging/build-deps.sh installs it)"
        os.makedirs(self.cache, exist_ok=True)
        work = tempfile.mkdtemp(prefix="debootstrap-", dir=self.cache)
        os.chmod(work, 0o755)  # it becomes the root directory: not mkdtemp's 0700
        try:
            sys.stderr.write("making a clean %s root with debootstrap (cached in %s)\n"
                             % (suite, self.cache))
            p = run(["debootstrap", "--variant=minbase", "--include=" + ",".join(self.includes),
                     suite, work, MIRROR], check=False, timeout=900)
            if p.returncode != 0:
                tail = "\n".join((p.stdout + p.stderr).strip().splitlines()[-5:])
                return "debootstrap %s from %s failed (exit %d):\n%s" % (
                    suite, MIRROR, p.returncode, tail)
            run(["tar", "-C", work, "--numeric-owner", "-cf", self.tarball + ".tmp", "."])
            os.replace(self.tarball + ".tmp", self.tarball)
            with open(keyfile, "w") as f:
                f.write(key)
        except subprocess.TimeoutExpired:
            return "debootstrap took more than 15 minutes"
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return None

    def unpack(self, dest):
        """A fresh copy of the clean root in dest."""
        os.makedirs(dest)
        run(["tar", "-C", dest, "--numeric-owner", "-xf", self.tarball])
        os.chmod(dest, 0o755)


class Chroot:
    """Runs commands inside one unpacked root."""

    def __init__(self, root):
        self.root = root

    def run(self, *cmd, check=True, user=None, env=None):
        argv = [CHROOT]
        if user:
            argv.append("--userspec=%s:%s" % (user, user))
        full_env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C",
                    "DEBIAN_FRONTEND": "noninteractive"}
        full_env.update(env or {})
        return run(argv + [self.root] + list(cmd), check=check, env=full_env)

    def path(self, p):
        return os.path.join(self.root, p.lstrip("/"))

    def ids(self, name):
        """(uid, gid) of name in the root's passwd, or None."""
        with open(self.path("/etc/passwd")) as f:
            for line in f:
                fields = line.split(":")
                if fields[0] == name:
                    return int(fields[2]), int(fields[3])
        return None

    def has_group(self, name):
        with open(self.path("/etc/group")) as f:
            return any(line.split(":")[0] == name for line in f)


class TestPackage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for name, value in (("PD_BIN", BIN), ("PD_BUILD_DIR", BUILD_DIR),
                            ("PD_SOURCE_DIR", SOURCE_DIR)):
            if not value:
                raise unittest.SkipTest("%s is not set: run through ctest" % name)
        cls.tmp = tempfile.mkdtemp(prefix="pd-package-")
        try:
            cls.version = version_of_binary()
            cls.full_version = "%s-%s" % (cls.version, RELEASE)
            cls.pack = generated_pack(os.path.join(cls.tmp, "pack"))
            out = os.path.join(cls.tmp, "out")
            run([CPACK, "-G", "DEB;RPM", "-B", out, "--config",
                 os.path.join(BUILD_DIR, "CPackConfig.cmake")])
            cls.deb = os.path.join(out, "st2-pagerduty_%s_amd64.deb" % cls.full_version)
            cls.rpm = os.path.join(out, "st2-pagerduty-%s.x86_64.rpm" % cls.full_version)
            for f in (cls.deb, cls.rpm):
                if not os.path.exists(f):
                    raise AssertionError("cpack did not write %s (it wrote %s)"
                                         % (f, sorted(os.listdir(out))))
            cls.control = {}
            for field in ("Package", "Version", "Depends", "Maintainer"):
                cls.control[field] = run(["dpkg-deb", "-f", cls.deb, field]).stdout.strip()
            cls.debroot = DebianRoot(cls.control["Depends"])
        except BaseException:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def scratch(self, name):
        """A fresh directory of that name in the test's temporary directory."""
        d = os.path.join(self.tmp, name)
        shutil.rmtree(d, ignore_errors=True)
        return d

    def deb_data(self):
        """The .deb's data as a tarfile (dpkg-deb --fsys-tarfile)."""
        p = subprocess.run(["dpkg-deb", "--fsys-tarfile", self.deb], stdout=subprocess.PIPE,
                           check=True)
        return tarfile.open(fileobj=io.BytesIO(p.stdout))

    # --- the .deb as a file ---------------------------------------------------

    def test_deb_lists_exactly_the_expected_files(self):
        expected = dict(DEB_FILES)
        for rel, mode in self.pack.items():
            expected[PACK + "/" + rel + ("/" if stat.S_ISDIR(mode) else "")] = perms(mode)
        expected[PACK + "/"] = "drwxr-xr-x"
        listed = {}
        for line in run(["dpkg-deb", "-c", self.deb]).stdout.splitlines():
            f = line.split(None, 5)
            path = f[5]
            self.assertTrue(path.startswith("./"), line)
            path = path[2:]
            if path:
                self.assertEqual(f[1], "root/root", "owner of " + path)
                listed[path] = f[0]
        self.assertEqual(sorted(listed), sorted(expected))
        for path, mode in expected.items():
            self.assertEqual(listed[path], mode, "mode of " + path)
        self.assertTrue(any(p.startswith("actions/bin/") and m & stat.S_IXUSR
                            for p, m in self.pack.items() if stat.S_ISREG(m)),
                        "the generated pack has no executable launcher in actions/bin/")

    def test_deb_control(self):
        self.assertEqual(self.control["Package"], "st2-pagerduty")
        self.assertEqual(self.control["Version"], self.full_version)
        names = debian_depends_names(self.control["Depends"])
        self.assertIn("adduser", names)
        for soname in needed_libraries():
            pkg = host_package_of(soname)
            self.assertIn(pkg, names, "Depends misses %s (for %s)" % (pkg, soname))
        ctrl = self.scratch("control")
        run(["dpkg-deb", "-e", self.deb, ctrl])
        self.assertEqual(sorted(os.listdir(ctrl)),
                         ["conffiles", "control", "md5sums", "postinst", "postrm", "prerm"])
        with open(os.path.join(ctrl, "conffiles")) as f:
            self.assertEqual(f.read().split(), ["/" + CONFIG])
        for script in ("postinst", "postrm", "prerm"):
            path = os.path.join(ctrl, script)
            self.assertEqual(perms(os.stat(path).st_mode), "-rwxr-xr-x", script)
            run(["sh", "-n", path])

    def test_changelog_is_this_version_in_both_formats(self):
        with open(os.path.join(SOURCE_DIR, "packaging", "changelog")) as f:
            source = f.read()
        top = re.match(r"st2-pagerduty \(([^)]+)\)", source)
        self.assertIsNotNone(top, "packaging/changelog does not start with an entry")
        self.assertEqual(top.group(1), self.full_version,
                         "packaging/changelog needs an entry for this version")
        with self.deb_data() as t:
            shipped = t.extractfile("./usr/share/doc/st2-pagerduty/changelog.Debian.gz").read()
        self.assertEqual(gzip.decompress(shipped).decode(), source)
        rpm_log = run(["rpm", "-qp", "--changelog", self.rpm]).stdout
        first = rpm_log.splitlines()[0]
        self.assertRegex(first, r"^\* \w{3} \w{3} \d+ \d{4} .+ - %s$" % re.escape(self.full_version))
        items = re.findall(r"^  \* (.*)$", source.split("\n -- ")[0], re.M)
        self.assertTrue(items)
        for item in items:
            self.assertIn("- " + item, rpm_log)

    def test_lintian_finds_no_error(self):
        p = run(["lintian", "--display-level", ">=warning", "--show-overrides", self.deb],
                check=False)
        tags = [l for l in p.stdout.splitlines() if re.match(r"^[EW]: ", l)]
        overridden = sorted(set(re.findall(r"^O: \S+ (\S+)", p.stdout, re.M)))
        sys.stderr.write("lintian %s:\n%s\noverridden (packaging/deb/lintian-overrides): %s\n"
                         % (os.path.basename(self.deb), "\n".join(tags) or "(nothing)",
                            ", ".join(overridden) or "none"))
        errors = [l for l in tags if l.startswith("E: ")]
        self.assertEqual(errors, [])
        self.assertNotIn("lintian: ", p.stderr.replace("running with root privileges", ""),
                         "lintian itself failed: " + p.stderr)
        self.assertIn(p.returncode, (0, 1, 2), p.stderr)

    # --- the .rpm as a file ---------------------------------------------------

    def test_rpm_lists_exactly_the_expected_files(self):
        expected = dict(RPM_FILES)
        expected["/" + PACK] = ("drwxr-xr-x", "root", "root", "")
        for rel, mode in self.pack.items():
            expected["/%s/%s" % (PACK, rel)] = (perms(mode), "root", "root", "")
        fmt = "[%{FILEMODES:perms}\\t%{FILEUSERNAME}\\t%{FILEGROUPNAME}\\t%{FILEFLAGS:fflags}\\t%{FILENAMES}\\n]"
        listed = {}
        for line in run(["rpm", "-qp", "--qf", fmt, self.rpm]).stdout.splitlines():
            mode, owner, group, flags, path = line.split("\t")
            listed[path] = (mode, owner, group, flags)
        self.assertEqual(sorted(listed), sorted(expected))
        for path, want in expected.items():
            self.assertEqual(listed[path], want, path)
        self.assertEqual(sorted(run(["rpm", "-qlp", self.rpm]).stdout.split()), sorted(expected))

    def test_rpm_metadata(self):
        q = run(["rpm", "-qp", "--qf", "%{NAME} %{VERSION}-%{RELEASE} %{LICENSE}", self.rpm]).stdout
        self.assertEqual(q, "st2-pagerduty %s Apache-2.0" % self.full_version)
        requires = run(["rpm", "-qpR", self.rpm]).stdout.split("\n")
        for soname in needed_libraries():
            self.assertIn("%s()(64bit)" % soname, requires, "automatic Requires")
        for tool in ("/usr/sbin/useradd", "/usr/sbin/groupadd", "/usr/bin/getent"):
            self.assertIn(tool, requires)
        scripts = run(["rpm", "-qp", "--scripts", self.rpm]).stdout
        for part in ("preinstall", "postinstall", "preuninstall", "postuninstall"):
            self.assertIn(part + " scriptlet", scripts)
        self.assertIn("useradd -r", scripts)
        self.assertIn("check-config", scripts)

    # --- the unit -------------------------------------------------------------

    def unit_root(self):
        """A root with systemd's own units, and the package's files where the unit names them."""
        root = self.scratch("unit-root")
        units = "/lib/systemd/system"
        if not os.path.exists(os.path.join(units, "sysinit.target")):
            units = "/usr/lib/systemd/system"
        shutil.copytree(units, os.path.join(root, "lib/systemd/system"), symlinks=True)
        with self.deb_data() as t:
            t.extractall(root)
        os.makedirs(os.path.join(root, "bin"), exist_ok=True)
        shutil.copy("/bin/kill", os.path.join(root, "bin", "kill"))
        return root

    def test_systemd_unit_verifies_and_is_sandboxed(self):
        if shutil.which("systemd-analyze") is None:
            self.fail("systemd-analyze is not installed (packaging/build-deps.sh installs systemd)")
        root = self.unit_root()
        unit = os.path.join(root, "lib/systemd/system/st2-pagerduty.service")
        p = run(["systemd-analyze", "verify", "--man=no", "--root=" + root,
                 "/lib/systemd/system/st2-pagerduty.service"], check=False)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stderr.strip(), "", "systemd-analyze verify complained")
        p = run(["systemd-analyze", "security", "--offline=yes", "--root=" + root,
                 "--no-pager", "/lib/systemd/system/st2-pagerduty.service"], check=False)
        m = re.search(r"Overall exposure level for st2-pagerduty.service: ([0-9.]+) (\w+)", p.stdout)
        self.assertIsNotNone(m, p.stdout + p.stderr)
        sys.stderr.write("systemd-analyze security: %s %s\n" % (m.group(1), m.group(2)))
        self.assertLessEqual(float(m.group(1)), 2.0, p.stdout)
        with open(unit) as f:
            text = f.read()
        for line in ("Type=exec", "User=st2-pagerduty", "Restart=on-failure",
                     "StateDirectory=st2-pagerduty", "CapabilityBoundingSet=\n",
                     "ExecReload=/bin/kill -HUP $MAINPID",
                     "ExecStart=/usr/bin/st2-pagerduty serve -c /etc/st2-pagerduty/config.yaml"):
            self.assertIn(line, text)

    # --- installing it --------------------------------------------------------

    def test_deb_unpacked_runs(self):
        """The dpkg -x check that runs even where no clean root can be made."""
        root = self.scratch("unpacked")
        run(["dpkg", "-x", self.deb, root])
        b = os.path.join(root, "usr/bin/st2-pagerduty")
        self.assertEqual(run([b, "--version"]).stdout.strip(), "st2-pagerduty " + self.version)
        p = run([b, "check-config", "-c", os.path.join(root, CONFIG)], check=False)
        self.assertEqual(p.returncode, 3, p.stdout + p.stderr)
        self.assertIn("webhook.secrets", p.stderr)
        self.assertIn("st2.api_key", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 2,
                         "the packaged config has problems besides the two to fill in:\n" + p.stderr)

    def clean_root(self, name):
        why = self.debroot.prepare()
        if why:
            self.skipTest("no clean Debian root: " + why)
        root = self.scratch(name)
        self.debroot.unpack(root)
        return Chroot(root)

    def fill_in_config(self, c, listen="127.0.0.1:0"):
        """What an administrator does: a secret, and (here) the sink instead of StackStorm."""
        with open(c.path(CONFIG)) as f:
            text = f.read()
        text = text.replace('    # - "the-subscription-signing-secret"', '    - "%s"' % SECRET)
        text = text.replace("  api_url: http://127.0.0.1:9101", "  # api_url: unset: the sink")
        text = text.replace('listen: ["127.0.0.1:8080"]', 'listen: ["%s"]' % listen)
        self.assertIn(SECRET, text, "the packaged config changed: update fill_in_config")
        with open(c.path(CONFIG), "w") as f:
            f.write(text)

    def serve_once(self, c):
        """Runs the service as its user in the root, sends it a signed event, stops it."""
        proc = subprocess.Popen([CHROOT, "--userspec=%s:%s" % (USER, USER), c.root,
                                 "/usr/bin/st2-pagerduty", "serve", "-c", "/" + CONFIG],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, env={"PATH": "/usr/bin:/bin"})
        try:
            port = None
            log = []
            for line in proc.stderr:
                log.append(line)
                m = re.search(r"listening .*port=(\d+)", line)
                if m:
                    port = m.group(1)
                if "serving" in line:
                    break
            self.assertIsNotNone(port, "serve did not start:\n" + "".join(log))
            p = c.run("/usr/bin/st2-pagerduty", "send-test", "-c", "/" + CONFIG, "--url",
                      "http://127.0.0.1:%s/webhooks/pagerduty" % port, check=False)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            sink = c.path("/var/lib/st2-pagerduty/triggers.jsonl")
            deadline = time.monotonic() + 60
            while not (os.path.exists(sink) and os.path.getsize(sink) > 0):
                self.assertLess(time.monotonic(), deadline, "no trigger in the sink file")
                time.sleep(0.05)
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=60), 0, "serve did not stop cleanly on SIGTERM")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stderr.close()
        with open(sink) as f:
            self.assertIn('"trigger"', f.readline())
        st = os.stat(c.path("/var/lib/st2-pagerduty/spool"))
        self.assertEqual(st.st_uid, c.ids(USER)[0], "the spool is not the service's")

    def assert_installed_as_a_service(self, c):
        """The package made a system user and group, and its config, config directory
        and state directory are theirs, with their modes."""
        uid, gid = c.ids(USER)
        self.assertLess(uid, 1000, "not a system user")
        for path, mode, owner in (("/" + CONFIG, 0o640, (0, gid)),
                                  ("/etc/st2-pagerduty", 0o750, (0, gid)),
                                  ("/var/lib/st2-pagerduty", 0o750, (uid, gid))):
            st = os.stat(c.path(path))
            self.assertEqual((stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid),
                             (mode, owner[0], owner[1]), path)

    def test_deb_life_cycle_in_clean_debian_root(self):
        c = self.clean_root("deb-root")
        shutil.copy(self.deb, c.path("/tmp/st2-pagerduty.deb"))

        p = c.run("dpkg", "-i", "/tmp/st2-pagerduty.deb")
        out = p.stdout + p.stderr
        sys.stderr.write("dpkg -i in a clean root said:\n%s\n" % out)
        for said in ("not started", "webhook.secrets", "st2.api_key",
                     "systemctl enable --now st2-pagerduty"):
            self.assertIn(said, out, "postinst did not say it")
        self.assertFalse(os.path.lexists(
            c.path("/etc/systemd/system/multi-user.target.wants/st2-pagerduty.service")),
            "postinst enabled a service that is not configured")

        self.assertEqual(c.run("st2-pagerduty", "--version").stdout.strip(),
                         "st2-pagerduty " + self.version)
        p = c.run("st2-pagerduty", "check-config", "-c", "/" + CONFIG, check=False)
        self.assertEqual(p.returncode, 3, p.stdout + p.stderr)

        self.assert_installed_as_a_service(c)
        pw = c.run("getent", "passwd", USER).stdout.strip().split(":")
        self.assertEqual(pw[5:], ["/var/lib/st2-pagerduty", "/usr/sbin/nologin"])
        launcher = c.path("/%s/actions/bin/st2-pagerduty" % PACK)
        self.assertTrue(os.access(launcher, os.X_OK), "the pack's launcher is not executable")

        self.fill_in_config(c)
        p = c.run("st2-pagerduty", "check-config", "-c", "/" + CONFIG, check=False)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.serve_once(c)

        # An upgrade (here: the same version again) keeps the filled-in config.
        with open(c.path(CONFIG), "rb") as f:
            filled = hashlib.sha256(f.read()).hexdigest()
        p = c.run("dpkg", "-i", "/tmp/st2-pagerduty.deb")
        self.assertNotIn("not started", p.stdout + p.stderr)
        with open(c.path(CONFIG), "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), filled)

        c.run("dpkg", "-r", "st2-pagerduty")
        self.assertFalse(os.path.exists(c.path("/usr/bin/st2-pagerduty")))
        self.assertFalse(os.path.exists(c.path("/" + PACK)))
        self.assertTrue(os.path.exists(c.path("/" + CONFIG)), "remove deleted the config")
        self.assertTrue(os.path.exists(c.path("/var/lib/st2-pagerduty/spool")),
                        "remove deleted the spool")
        self.assertIsNotNone(c.ids(USER), "remove deleted the user")

        c.run("dpkg", "--purge", "st2-pagerduty")
        for gone in ("/etc/st2-pagerduty", "/var/lib/st2-pagerduty"):
            self.assertFalse(os.path.lexists(c.path(gone)), "purge left " + gone)
        self.assertIsNone(c.ids(USER), "purge left the user")
        self.assertFalse(c.has_group(USER), "purge left the group")
        # (--list exits 1 when there is no override at all)
        self.assertNotIn(USER, c.run("dpkg-statoverride", "--list", check=False).stdout)

    def test_rpm_life_cycle_in_clean_root(self):
        """rpm --root in the Debian root: the scriptlets run there with /bin/sh and shadow's tools."""
        c = self.clean_root("rpm-root")
        rpm = ["rpm", "--root", c.root, "--dbpath", "/var/lib/rpm"]
        run(rpm + ["--initdb"])
        p = run(rpm + ["-i", "--nodeps", self.rpm])
        out = p.stdout + p.stderr
        for said in ("not started", "webhook.secrets", "systemctl enable --now st2-pagerduty"):
            self.assertIn(said, out, "%post did not say it")
        self.assert_installed_as_a_service(c)
        self.assertEqual(c.run("st2-pagerduty", "--version").stdout.strip(),
                         "st2-pagerduty " + self.version)
        self.fill_in_config(c)
        self.serve_once(c)

        run(rpm + ["-e", "st2-pagerduty"])
        self.assertFalse(os.path.exists(c.path("/usr/bin/st2-pagerduty")))
        self.assertTrue(os.path.exists(c.path("/" + CONFIG + ".rpmsave")),
                        "erase dropped the changed config")
        self.assertTrue(os.path.exists(c.path("/var/lib/st2-pagerduty/spool")),
                        "erase deleted the spool")


if __name__ == "__main__":
    unittest.main()
