# lab/: the virtual testbed on this machine (a bash script, nothing to
# compile).  It needs ip (netns, veth, bridge), ping for the tests, and
# procps for status.
SCRIPTS += lab/lab
DEPS_PKGS += iproute2 iputils-ping procps psmisc util-linux coreutils findutils mawk
# make run: QEMU machines with the iPXE ROM (lab up --qemu), the timeline picture.
DEPS_PKGS += qemu-system-x86 ipxe-qemu gnuplot-nox

# make bench: lab up/down time against one-ip-command-per-object scripting.
BENCHES += lab-scale
.PHONY: bench-lab-scale
bench-lab-scale:
	@tests/bench/run $(BUILD) lab-scale
