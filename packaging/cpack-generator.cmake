# cpack-generator.cmake: read by cpack once per generator (CPACK_PROJECT_CONFIG_FILE),
# it picks the components of that package: the shared files plus the
# generator's own (packaging.cmake says why they differ).
if(CPACK_GENERATOR STREQUAL "DEB")
  set(CPACK_COMPONENTS_ALL pd_common pd_deb)
elseif(CPACK_GENERATOR STREQUAL "RPM")
  set(CPACK_COMPONENTS_ALL pd_common pd_rpm)
else()
  message(FATAL_ERROR "st2-pagerduty is packaged as DEB or RPM, not ${CPACK_GENERATOR}")
endif()
