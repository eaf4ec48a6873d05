# SPDX-License-Identifier: Apache-2.0
# `cmake --install` and the Debian package (CPack DEB), included by
# CMakeLists.txt.  Where things go (GNUInstallDirs; the release preset's
# prefix is /usr, so these are the FHS places):
#   vigil, vigil-core  ${prefix}/lib/vigil/, with ${prefix}/bin/vigil a
#                      link to the first (vigil runs the vigil-core beside
#                      the file it really is)
#   web/, data/        ${datadir}/vigil/ (src/cli/cli_paths.c finds them)
#   manual pages       ${mandir}/man1/, made from --help (scripts/gen-man)
#   serve.conf         ${sysconfdir}/vigil/ (/etc/vigil)
#   vigil.service      VIGIL_SYSTEMD_UNIT_DIR (/lib/systemd/system)
# The state, /var/lib/vigil, is made by the package's postinst (and by
# systemd's StateDirectory=).  Build the package (docs/OPERATIONS.md, section 1):
#   cmake --preset release && cmake --build --preset release -j
#   cpack --config build/release/CPackConfig.cmake -B build/release
set(VIGIL_SYSTEMD_UNIT_DIR /lib/systemd/system CACHE PATH
    "Where the systemd unit is installed")
set(VIGIL_MAINTAINER
    "Seed f7cd033b maintainers <maintainers@users.noreply.r-seed-f7cd033b.example>")
set(VIGIL_SHARE ${CMAKE_INSTALL_FULL_DATADIR}/vigil)
set(VIGIL_STATE ${CMAKE_INSTALL_FULL_LOCALSTATEDIR}/lib/vigil)
set(VIGIL_CONF ${CMAKE_INSTALL_FULL_SYSCONFDIR}/vigil/serve.conf)
set(VIGIL_BIN ${CMAKE_INSTALL_FULL_BINDIR}/vigil)
set(VIGIL_DOC_DIR ${CMAKE_INSTALL_FULL_DOCDIR})
set(VIGIL_PKG_OUT ${CMAKE_BINARY_DIR}/package)

# The manual pages, from the built binaries' --help (not in a sanitized
# tree: nobody installs from it)
if(Python3_Interpreter_FOUND AND NOT VIGIL_SANITIZE)
  add_custom_command(OUTPUT ${VIGIL_PKG_OUT}/man/vigil.1.gz
      COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/scripts/gen-man
          $<TARGET_FILE:vigil> ${VIGIL_PKG_OUT}/man
      DEPENDS vigil vigil-core ${CMAKE_SOURCE_DIR}/scripts/gen-man
      COMMENT "Writing the manual pages from --help (scripts/gen-man)"
      VERBATIM)
  add_custom_target(vigil_man ALL DEPENDS ${VIGIL_PKG_OUT}/man/vigil.1.gz)
  install(DIRECTORY ${VIGIL_PKG_OUT}/man/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
      FILES_MATCHING PATTERN "*.1.gz")
elseif(NOT VIGIL_SANITIZE)
  message(WARNING "python3 not found: no manual pages")
endif()

foreach(f serve.conf vigil.service changelog)
  configure_file(deploy/debian/${f}.in ${VIGIL_PKG_OUT}/${f} @ONLY)
endforeach()
# Debian wants the changelog gzipped with -9n (no name, no time)
add_custom_command(OUTPUT ${VIGIL_PKG_OUT}/changelog.gz
    COMMAND gzip -9nkf ${VIGIL_PKG_OUT}/changelog
    DEPENDS ${VIGIL_PKG_OUT}/changelog VERBATIM)
add_custom_target(vigil_changelog ALL DEPENDS ${VIGIL_PKG_OUT}/changelog.gz)
file(RELATIVE_PATH VIGIL_BIN_TO_CORE ${CMAKE_INSTALL_FULL_BINDIR}
    ${CMAKE_INSTALL_PREFIX}/${VIGIL_INSTALL_CORE_DIR}/vigil)
file(CREATE_LINK ${VIGIL_BIN_TO_CORE} ${VIGIL_PKG_OUT}/vigil SYMBOLIC)

install(TARGETS vigil vigil-core RUNTIME DESTINATION ${VIGIL_INSTALL_CORE_DIR})
install(FILES ${VIGIL_PKG_OUT}/vigil DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY web/ DESTINATION ${CMAKE_INSTALL_DATADIR}/vigil/web)
install(DIRECTORY data/ DESTINATION ${CMAKE_INSTALL_DATADIR}/vigil/data)
install(FILES ${VIGIL_PKG_OUT}/serve.conf
    DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/vigil)
install(FILES ${VIGIL_PKG_OUT}/vigil.service
    DESTINATION ${VIGIL_SYSTEMD_UNIT_DIR})
install(FILES deploy/debian/copyright ${VIGIL_PKG_OUT}/changelog.gz
    DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES deploy/nginx-vigil.conf deploy/nginx-vigil-fleet.conf
    DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# ---- the Debian package: cpack in the build tree ----
file(WRITE ${VIGIL_PKG_OUT}/conffiles "${VIGIL_CONF}\n")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME vigil)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${VIGIL_MAINTAINER})
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR})
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "nginx | httpd")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "hotline system: reports, crawler, PDQ hashing, hash lists, takedowns")
# the long description (CPack puts the summary first and indents it)
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Vigil is for child-protection hotlines and their partners: a public
report form and partner API, an analyst console, a crawler that hashes
the images it finds (PDQ, MD5, SHA-1, SHA-256) and matches them against
hash lists, and removal notices sent to hosting providers.

This package runs `vigil serve` as the vigil system user (vigil.service)
on 127.0.0.1:8080, configured by /etc/vigil/serve.conf, with its store
and keys in /var/lib/vigil. Put a TLS proxy in front.")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_SOURCE_DIR}/deploy/debian/postinst
    ${CMAKE_SOURCE_DIR}/deploy/debian/prerm ${CMAKE_SOURCE_DIR}/deploy/debian/postrm
    ${VIGIL_PKG_OUT}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
