# liblzma: xz for libarchive (Debian's Packages.xz, RPM primary.xml.xz).
# The library only: no xz/xzdec/lzma tools, scripts, docs or NLS.
needs=""
build() {
	./configure ${CROSS_HOST:+--host=$CROSS_HOST} --prefix="$P" --disable-shared --enable-static --disable-xz --disable-xzdec \
		--disable-lzmadec --disable-lzmainfo --disable-lzma-links --disable-scripts \
		--disable-doc --disable-nls
	$MAKE -C src/liblzma
	make -C src/liblzma install
}
