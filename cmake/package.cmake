# `make deb` (cpack -G DEB in the build tree): the installation of
# cmake/install.cmake under /usr as a Debian package. It depends on what
# cratec and libcratert.so load, and on what cratec needs at run time to
# link the programs it builds: the C compiler and the development packages
# of the runtime's libraries (libxsmm exists only as an archive).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME cratec)
set(CPACK_PACKAGE_VENDOR cratec)
set(CPACK_PACKAGE_CONTACT "cratec maintainers <cratec@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "compiler for CRATE white-box transformers, with its runtime")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libllvm19, libgomp1, libblas3, libcjson1, zlib1g, gcc, libc6-dev, libxsmm-dev, libblas-dev, libcjson-dev, zlib1g-dev")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "pkg-config, cmake")
include(CPack)
