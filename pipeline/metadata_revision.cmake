# Writes OUT (a C header defining MTASTS_METADATA_REVISION) from `git describe` of SRC, touching
# it only when the text changes so that a build without new commits recompiles nothing.
# Outside a git checkout (a source tarball) the revision is "" and the record says null.
set(rev "")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SRC} describe --always --dirty --tags
                  OUTPUT_VARIABLE rev OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    set(rev "")
  endif()
endif()
set(text "#define MTASTS_METADATA_REVISION \"${rev}\"\n")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
else()
  set(old "")
endif()
if(NOT old STREQUAL text)
  file(WRITE ${OUT} "${text}")
endif()
