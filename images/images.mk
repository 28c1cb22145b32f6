# images/: the sample images, built without network access.
DEPS_PKGS += syslinux syslinux-common mtools dosfstools linux-image-amd64 busybox-static \
	qemu-utils zstd
.PHONY: sample-images
sample-images: $(BUILD)/images/sample.img
$(BUILD)/images/sample.img: images/mksample.sh $(BUILD)/bin/imgtool
	images/mksample.sh $(BUILD) $(BUILD)/images
all: $(BUILD)/images/sample.img
