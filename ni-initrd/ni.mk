# ni-initrd/: ni, the node installer, and the initramfs that carries it.
PROGRAMS += ni
ni_SRCS := ni-initrd/ni.c ni-initrd/pipeline.c ni-initrd/decode.c \
	ni-initrd/parttable.c ni-initrd/params.c ni-initrd/master_client.c
ni_LIBS := -lcurl -ljansson -lcrypto -lz -lzstd -lpthread
DEPS_PKGS += libcurl4-openssl-dev libjansson-dev libssl-dev zlib1g-dev libzstd-dev \
	busybox-static curl zstd python3 cpio
