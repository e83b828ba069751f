# libzstd: the static library only, multi-threaded (bundle create sets
# ZSTD_c_nbWorkers), without the legacy-format decoders.
needs=""
build() {
	$MAKE -C lib libzstd.a-mt ZSTD_LEGACY_SUPPORT=0 CC="$CC" CFLAGS="$CFLAGS"
	$MAKE -C lib install-static install-includes install-pc PREFIX="$P" LIBDIR="$P/lib" \
		ZSTD_LEGACY_SUPPORT=0 CPPFLAGS=-DZSTD_MULTITHREAD
}
