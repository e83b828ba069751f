# libyaml: static, no tests.
needs=""
build() {
	cmake -S . -B _b -DCMAKE_C_COMPILER="$CC" -DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_C_FLAGS_RELEASE="$CFLAGS -DNDEBUG" -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTING=OFF \
		-DCMAKE_INSTALL_PREFIX="$P" -DCMAKE_INSTALL_LIBDIR=lib -DINSTALL_CMAKE_DIR=lib/cmake/yaml
	$MAKE -C _b yaml
	cmake --install _b
	# cmake installs no yaml-0.1.pc: write the one lading's Makefile asks for.
	mkdir -p "$P/lib/pkgconfig"
	cat >"$P/lib/pkgconfig/yaml-0.1.pc" <<EOP
prefix=$P
Name: LibYAML
Description: Library to parse and emit YAML
Version: 0.2.5
Cflags: -I\${prefix}/include -DYAML_DECLARE_STATIC
Libs: -L\${prefix}/lib -lyaml
EOP
}
