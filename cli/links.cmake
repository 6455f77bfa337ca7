# Make the AIX command names links to the corral binary CORRAL in DEST: the
# names are the verb table's (cli/verbs.c), as `corral --links` prints them,
# so a verb is added in one place.
execute_process(COMMAND ${CORRAL} --links OUTPUT_VARIABLE names RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR names STREQUAL "")
  message(FATAL_ERROR "${CORRAL} --links failed (${rc}): cannot make the command links")
endif()
string(REGEX MATCHALL "[a-z]+" names "${names}")
foreach(name ${names})
  file(CREATE_LINK corral ${DEST}/${name} SYMBOLIC)
endforeach()
