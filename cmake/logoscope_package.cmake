# A Debian package of the installed files (the program, the base models, the shared library and its
# headers), so that a user installs once and can delete the clone:
#   cmake --build build --target package      # build/logoscope_VERSION_ARCH.deb
#   sudo apt-get install ./build/logoscope_*.deb
# Everything goes under /usr: /usr/bin/logoscope finds its base models in /usr/share/logoscope/models
# (model/base_model.cpp). The package's Depends are read from the binaries (dpkg-shlibdeps), so
# they name the exact Debian libraries (libtorch, OpenCV, …) this build links.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME logoscope)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Train and run custom logo and object detectors on your own machine")
set(CPACK_PACKAGE_DESCRIPTION
    "logoscope trains custom logo (and general object) detectors from labeled photos or a logo file, evaluates them "
    "as Amazon Rekognition Custom Labels does, and detects in images and video, from the command line, an HTTP server "
    "whose JSON matches DetectCustomLabels, or a C++ library.")
set(CPACK_PACKAGE_CONTACT "logoscope maintainers <logoscope@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The fonts the wordmark generator draws with (docs/marks.md); not linked, so named here.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "fonts-dejavu-core, fonts-liberation")
set(CPACK_STRIP_FILES ON)
# gzip: xz takes minutes on two cores for a ~100 MB payload and saves little on weights.
set(CPACK_DEBIAN_COMPRESSION_TYPE gzip)
include(CPack)
