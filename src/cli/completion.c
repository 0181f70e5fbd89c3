/* completion.c - `allot completion bash|zsh`: the shell completion script, printed from the
 * command table (the nouns, verbs, options and what their values may be). */
#include <stdio.h>
#include <string.h>

#include "cli/command_table.h"
#include "cli/options.h"

/* The key completion knows a command by: "workload submit", "top". */
static void key_of(const struct al__cli_command *c, char *buf, size_t size) {
    snprintf(buf, size, "%s%s%s", c->noun, c->verb ? " " : "", c->verb ? c->verb : "");
}

static void print_option_names(FILE *out, const struct al__cli_opt *options, size_t count) {
    for (size_t i = 0; i < count; i++)
        fprintf(out, " %s%s%s", options[i].short_name ? options[i].short_name : "",
                options[i].short_name ? " " : "", options[i].long_name);
}

/* `case` arms: each option that takes a value, and what completes it. */
static void print_value_arms(FILE *out, const char *key, const struct al__cli_opt *options,
                             size_t count) {
    for (size_t i = 0; i < count; i++) {
        const struct al__cli_opt *o = &options[i];
        if (!o->arg)
            continue;
        fprintf(out, "    \"%s|%s\"", key, o->long_name);
        if (o->short_name)
            fprintf(out, " | \"%s|%s\"", key, o->short_name);
        fprintf(out, ") echo '%s' ;;\n", o->complete ? o->complete : "");
    }
}

static void print_functions(FILE *out) {
    char key[64];

    fprintf(out, "__allot_options() {\n  case \"$1\" in\n");
    for (size_t i = 0; i < al__cli_command_count; i++) {
        const struct al__cli_command *c = &al__cli_command_table[i];
        key_of(c, key, sizeof(key));
        fprintf(out, "    \"%s\") echo '--help", key);
        print_option_names(out, c->options, c->option_count);
        if (c->flags & AL__CLI_OUTPUT)
            print_option_names(out, al__cli_output_options, al__cli_output_option_count);
        if (c->flags & AL__CLI_API)
            print_option_names(out, al__cli_conn_options, al__cli_conn_option_count);
        fprintf(out, "' ;;\n");
    }
    fprintf(out, "  esac\n}\n\n__allot_values() {\n  case \"$1|$2\" in\n");
    for (size_t i = 0; i < al__cli_command_count; i++) {
        const struct al__cli_command *c = &al__cli_command_table[i];
        key_of(c, key, sizeof(key));
        print_value_arms(out, key, c->options, c->option_count);
        if (c->flags & AL__CLI_OUTPUT)
            print_value_arms(out, key, al__cli_output_options, al__cli_output_option_count);
        if (c->flags & AL__CLI_API)
            print_value_arms(out, key, al__cli_conn_options, al__cli_conn_option_count);
    }
    fprintf(out, "    *) return 1 ;;\n  esac\n}\n\n__allot_positional() {\n  case \"$1\" in\n");
    for (size_t i = 0; i < al__cli_command_count; i++) {
        const struct al__cli_command *c = &al__cli_command_table[i];
        if (!c->positional)
            continue;
        key_of(c, key, sizeof(key));
        fprintf(out, "    \"%s\") echo '%s' ;;\n", key, c->positional);
    }
    fprintf(out, "  esac\n}\n\n__allot_verbs() {\n  case \"$1\" in\n");
    for (size_t n = 0; n < al__cli_noun_count; n++) {
        const char *noun = al__cli_noun_table[n].name;
        if (!al__cli_noun_has_verbs(noun))
            continue;
        fprintf(out, "    %s) echo '", noun);
        const char *sep = "";
        for (size_t i = 0; i < al__cli_command_count; i++)
            if (strcmp(al__cli_command_table[i].noun, noun) == 0 && al__cli_command_table[i].verb) {
                fprintf(out, "%s%s", sep, al__cli_command_table[i].verb);
                sep = " ";
            }
        fprintf(out, "' ;;\n");
    }
    fprintf(out, "    *) return 1 ;;\n  esac\n}\n\n");
}

/* What the generated functions are used by: the same for every table. */
static const char driver[] =
    "# Names from the running allotd, for -p, NAME and the like (quietly nothing without it).\n"
    "__allot_complete_word() {\n"
    "  local what=$1 cur=$2\n"
    "  case \"$what\" in\n"
    "    @file) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
    "    @dir) COMPREPLY=($(compgen -d -- \"$cur\")) ;;\n"
    "    @project|@department|@workload)\n"
    "      local kind=${what#@}\n"
    "      COMPREPLY=($(compgen -W \"$(allot \"$kind\" list -o name 2>/dev/null | "
    "sed \"s|^$kind/||\")\" -- \"$cur\")) ;;\n"
    "    @context)\n"
    "      COMPREPLY=($(compgen -W \"$(allot config view -o name 2>/dev/null | "
    "sed 's|^context/||')\" -- \"$cur\")) ;;\n"
    "    *) COMPREPLY=($(compgen -W \"$what\" -- \"$cur\")) ;;\n"
    "  esac\n"
    "}\n\n"
    "_allot() {\n"
    "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
    "  local noun=${COMP_WORDS[1]} key verbs values\n"
    "  COMPREPLY=()\n"
    "  if (( COMP_CWORD == 1 )); then\n"
    "    COMPREPLY=($(compgen -W \"$__allot_nouns --help --version\" -- \"$cur\"))\n"
    "    return\n"
    "  fi\n"
    "  key=$noun\n"
    "  if verbs=$(__allot_verbs \"$noun\"); then\n"
    "    if (( COMP_CWORD == 2 )); then\n"
    "      COMPREPLY=($(compgen -W \"$verbs\" -- \"$cur\"))\n"
    "      [[ -n $(__allot_options \"$noun\") && $cur == -* ]] &&\n"
    "        COMPREPLY+=($(compgen -W \"$(__allot_options \"$noun\")\" -- \"$cur\"))\n"
    "      return\n"
    "    fi\n"
    "    [[ \" $verbs \" == *\" ${COMP_WORDS[2]} \"* ]] && key=\"$noun ${COMP_WORDS[2]}\"\n"
    "  fi\n"
    "  if values=$(__allot_values \"$key\" \"$prev\"); then\n"
    "    [[ -n $values ]] && __allot_complete_word \"$values\" \"$cur\"\n"
    "    return\n"
    "  fi\n"
    "  if [[ $cur == -* ]]; then\n"
    "    COMPREPLY=($(compgen -W \"$(__allot_options \"$key\")\" -- \"$cur\"))\n"
    "    return\n"
    "  fi\n"
    "  values=$(__allot_positional \"$key\")\n"
    "  [[ -n $values ]] && __allot_complete_word \"$values\" \"$cur\"\n"
    "}\n\n"
    "complete -o default -F _allot allot\n";

int al__cmd_completion(const struct al__cli *cli, int argc, char **argv) {
    const char *shell = NULL;
    int rc = al__cli_parse_name(cli, argc, argv, "shell", &shell);

    if (rc != AL__CLI_RUN)
        return al__cli_parse_exit(rc, cli);
    if (strcmp(shell, "bash") != 0 && strcmp(shell, "zsh") != 0)
        return al__cli_parse_exit(
            al__cli_usage_error(cli, "'%s' is not a shell it knows (bash, zsh)", shell), cli);
    printf("# %s completion for allot, generated by `allot completion %s` from the same\n"
           "# command table as `allot --help`.\n",
           shell, shell);
    if (strcmp(shell, "zsh") == 0)
        printf("autoload -U +X bashcompinit && bashcompinit\n");
    printf("__allot_nouns='");
    for (size_t n = 0; n < al__cli_noun_count; n++)
        printf("%s%s", n ? " " : "", al__cli_noun_table[n].name);
    printf("'\n\n");
    print_functions(stdout);
    fputs(driver, stdout);
    return fflush(stdout) == 0 ? AL__EXIT_OK : AL__EXIT_FAIL;
}
