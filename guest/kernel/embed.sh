#!/bin/sh
# embed.sh BIN OUT: write OUT, an assembler file holding BIN's bytes between
# two hidden symbols, kvmlet_kernel_image and kvmlet_kernel_image_end.
set -eu
case $1 in /*) p=$1 ;; *) p=$(pwd)/$1 ;; esac
cat >"$2" <<EOT
	.section .rodata
	.balign 4096
	.globl kvmlet_kernel_image
	.hidden kvmlet_kernel_image
kvmlet_kernel_image:
	.incbin "$p"
	.globl kvmlet_kernel_image_end
	.hidden kvmlet_kernel_image_end
kvmlet_kernel_image_end:
	.section .note.GNU-stack,"",@progbits
EOT
