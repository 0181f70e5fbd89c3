# Makefile - builds allot (programs into build/), runs the tests, checks style.
#   make          programs into build/ (release flags)
#   make test     unit tests + conformance suite under AddressSanitizer and UBSan
#   make check    clang-format, warnings with gcc and clang, house-style checks
#   make clean

CC ?= cc
CFLAGS_BASE := -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -Isrc \
	-Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wvla -Wformat=2 -Wundef -fno-common
OPT ?= -O2 -g
SAN := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LIBS := -ljansson -lm

ENGINE_SRC := $(sort $(wildcard src/engine/*.c src/engine/actions/*.c src/util/*.c))
SNAPSHOT_SRC := $(sort $(wildcard src/snapshot/*.c))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
LIB_SRC := $(ENGINE_SRC) $(SNAPSHOT_SRC)
TEST_SRC := $(sort $(wildcard tests/*/test_*.c))
TEST_SUPPORT_SRC := $(sort $(wildcard tests/support/*.c))

BUILD := build
REL_LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
REL_CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
SAN_LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/san/%.o)
SAN_CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/san/%.o)
SAN_SUPPORT_OBJ := $(TEST_SUPPORT_SRC:%.c=$(BUILD)/san/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
CONFORMANCE ?= ../shared/conformance/cases

.PHONY: all setup test unit conformance check format clean
.SECONDARY:

all: setup $(BUILD)/allot $(BUILD)/liballot.a

setup:
	@scripts/setup

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(OPT) -MMD -MP -c $< -o $@

$(BUILD)/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(SAN) -MMD -MP -c $< -o $@

# Test helpers include their headers as "support/...", like the tests themselves.
$(BUILD)/san/tests/support/%.o: tests/support/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(SAN) -Itests -MMD -MP -c $< -o $@

$(BUILD)/liballot.a: $(REL_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/allot: $(REL_CLI_OBJ) $(BUILD)/liballot.a
	$(CC) $(OPT) -o $@ $(REL_CLI_OBJ) $(BUILD)/liballot.a $(LIBS)

$(BUILD)/san/allot: $(SAN_CLI_OBJ) $(SAN_LIB_OBJ)
	$(CC) $(SAN) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: tests/%.c $(SAN_LIB_OBJ) $(SAN_SUPPORT_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_BASE) $(SAN) -Itests -o $@ $< $(SAN_LIB_OBJ) $(SAN_SUPPORT_OBJ) $(LIBS) -lcmocka

test: setup unit conformance

unit: $(TEST_BIN) $(BUILD)/san/allot
	@scripts/run-tests $(TEST_BIN)

conformance: $(BUILD)/san/allot
	$(BUILD)/san/allot replay --check $(CONFORMANCE)/allocate-*.json $(CONFORMANCE)/fairshare-*.json \
		$(CONFORMANCE)/stalegangeviction-*.json

check: setup
	@scripts/check

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
