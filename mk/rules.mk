# mk/rules.mk: pattern rules shared by every module makefile.

# Object files mirror the source tree under $(OBJ).
$(OBJ)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) $(CFLAGS) $(MODCFLAGS) -c $< -o $@

# $(call objs,SOURCES) -> object paths
objs = $(patsubst %.c,$(OBJ)/%.o,$(1))

# Static libraries: $(LIBDIR)/libNAME.a from $(OBJS_NAME)
$(LIBDIR)/%.a:
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^
