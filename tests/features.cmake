# Serial tests of the spectral and pooled feature kernels and of the SVG plots (no MPI).
zl_unit_test(test_spectral)
zl_unit_test(test_pooled)

# Spectral and pooled features against numpy.
zl_ref_test(ref_features)

# The plots: test_plot writes plot_*.svg here and checks them; the fixture then checks them with
# xmllint (libxml2-utils) and renders them with rsvg-convert (librsvg2-bin), each skipping with 77
# when its tool is missing (jobs/setup.sh installs both).
zl_unit_test(test_plot LIBS zl_jobs)
set_tests_properties(test_plot PROPERTIES FIXTURES_SETUP zl_plots)
set(ZL_PLOTS plot_scatter.svg plot_heatmap.svg)
add_test(NAME plot_xmllint COMMAND sh -c "${ZL_XMLLINT_SH}" sh ${ZL_PLOTS})
add_test(NAME plot_render COMMAND sh -c "${ZL_RENDER_SH}" sh ${ZL_PLOTS})
set_tests_properties(plot_xmllint plot_render PROPERTIES TIMEOUT 60 LABELS unit
                     SKIP_RETURN_CODE 77 FIXTURES_REQUIRED zl_plots)
