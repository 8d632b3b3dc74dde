# Finds ScaLAPACK (with BLACS inside) and defines the imported target ScaLAPACK::ScaLAPACK.
# Debian's own CMake config for scalapack names a file it does not ship, so it cannot be used.
# Order: a user's SCALAPACK_LIBRARIES (clusters with vendor builds), then pkg-config over the
# MPI flavours Debian and Spack install, then a plain find_library.
include(FindPackageHandleStandardArgs)

if(SCALAPACK_LIBRARIES)
  set(_zl_scalapack_libs ${SCALAPACK_LIBRARIES})
else()
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    foreach(_zl_pc scalapack-openmpi scalapack-mpich scalapack)
      pkg_check_modules(_ZL_SCALAPACK QUIET IMPORTED_TARGET ${_zl_pc})
      if(_ZL_SCALAPACK_FOUND)
        set(_zl_scalapack_target PkgConfig::_ZL_SCALAPACK)
        set(_zl_scalapack_libs ${_ZL_SCALAPACK_LINK_LIBRARIES})
        set(ScaLAPACK_VERSION ${_ZL_SCALAPACK_VERSION})
        break()
      endif()
    endforeach()
  endif()
  if(NOT _zl_scalapack_libs)
    find_library(_zl_scalapack_lib NAMES scalapack-openmpi scalapack-mpich scalapack)
    if(_zl_scalapack_lib)
      set(_zl_scalapack_libs ${_zl_scalapack_lib})
    endif()
  endif()
endif()

find_package_handle_standard_args(ScaLAPACK REQUIRED_VARS _zl_scalapack_libs
                                  VERSION_VAR ScaLAPACK_VERSION)

if(ScaLAPACK_FOUND AND NOT TARGET ScaLAPACK::ScaLAPACK)
  add_library(ScaLAPACK::ScaLAPACK INTERFACE IMPORTED)
  if(_zl_scalapack_target)
    target_link_libraries(ScaLAPACK::ScaLAPACK INTERFACE ${_zl_scalapack_target})
  else()
    target_link_libraries(ScaLAPACK::ScaLAPACK INTERFACE ${_zl_scalapack_libs})
  endif()
  if(NOT ScaLAPACK_VERSION)
    set(ScaLAPACK_VERSION "unknown")
  endif()
endif()
