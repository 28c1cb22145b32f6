# lab/: the virtual testbed on this machine (a bash script, nothing to
# compile).  It needs ip (netns, veth, bridge), ping for the tests, and
# procps for status.
SCRIPTS += lab/lab
DEPS_PKGS += iproute2 iputils-ping procps psmisc util-linux coreutils findutils mawk
