# zlib: gzip for libarchive (charts are .tgz, package indexes .gz, zip
# entries deflate). Static library only.
needs=""
build() {
	./configure --static --prefix="$P" --libdir="$P/lib"
	$MAKE libz.a
	make install
}
