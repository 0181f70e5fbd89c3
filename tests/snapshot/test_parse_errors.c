/* test_parse_errors.c - malformed snapshots are rejected with the right JSON path and reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "allot/errors.h"
#include "allot/snapshot.h"
#include "support/snapfiles.h"

/* Documents are written with ' for " (see tb_doc). A small valid cluster to vary: */
#define CONFIG                           "'config':{'actions':['allocate']}"
#define NODE0                            "{'name':'n0','gpus':2,'cpu_millis':1000,'memory_bytes':1000}"
#define NODES                            "'nodes':[" NODE0 "]"
#define QUEUES                           "'queues':[{'name':'root'},{'name':'q','parent':'root'}]"
#define PENDING                          "{'name':'t','state':'pending','gpus':1}"
#define DOC(config, nodes, queues, jobs) "{" config "," nodes "," queues ",'jobs':[" jobs "]}"
#define JOBS(jobs)                       DOC(CONFIG, NODES, QUEUES, jobs)
#define JOB(extra, task)                 "{'name':'j','queue':'q','priority':50" extra ",'tasks':[" task "]}"
#define TASK(fields)                     JOBS(JOB("", "{'name':'t'," fields "}"))
#define NODE(fields)                     DOC(CONFIG, "'nodes':[{'name':'n0'," fields "}]", QUEUES, "")
#define QUEUE(fields)                                                                              \
    DOC(CONFIG, NODES, "'queues':[{'name':'root'},{'name':'q','parent':'root'," fields "}]", "")
#define RUN(name, fields) "{'name':'" name "','state':'running','node':'n0'," fields "}"
/* Topologies: a document with `topologies` and a job with the constraint members `extra`. */
#define TOPOS(topologies, extra)                                                                   \
    "{'topologies':[" topologies "]," CONFIG "," NODES "," QUEUES                                  \
    ",'jobs':[" JOB(extra, PENDING) "]}"
#define DC "{'name':'dc','levels':['zone','rack']}"

struct bad_doc {
    const char *doc;
    const char *path;    /* expected err.path */
    const char *message; /* expected substring of err.message */
};

static const struct bad_doc bad_docs[] = {
    /* topologies and topology constraints */
    {TOPOS("{'name':'dc','levels':[]}", ""), "topologies[0].levels", "must name 1 to 16"},
    {TOPOS("{'name':'dc','levels':['rack','rack']}", ""), "topologies[0].levels[1]",
     "already levels[0]"},
    {TOPOS(DC "," DC, ""), "topologies[1].name", "duplicate topology name"},
    {TOPOS(DC, ",'required_topology_level':'row'"), "jobs[0].required_topology_level",
     "no level \"row\" (its levels: zone, rack)"},
    {TOPOS(DC, ",'topology':'other','required_topology_level':'rack'"), "jobs[0].topology",
     "unknown topology"},
    {TOPOS(DC, ",'required_topology_level':'rack','preferred_topology_level':'zone'"),
     "jobs[0].preferred_topology_level", "wider than the required level"},
    {TOPOS(DC, ",'topology':'dc'"), "jobs[0].topology", "needs required_topology_level"},
    {TOPOS(DC ","
              "{'name':'dc2','levels':['rack']}",
           ",'preferred_topology_level':'rack'"),
     "jobs[0].topology", "the snapshot has 2 topologies"},
    {JOBS(JOB(",'required_topology_level':'rack'", PENDING)), "jobs[0].topology",
     "the snapshot has 0 topologies"},
    /* syntax and top level */
    {"", "", "expected"},
    {"{", "", "end of file"},
    {"[]", "", "must be an object"},
    {"{'config':{'actions':[]},'config':{'actions':[]}}", "", "duplicate"},
    {"{'seed': 99999999999999999999}", "", "too big"},
    {"{'config':{'actions':[]},'queues':[],'jobs':[]}", "nodes", "required field is missing"},
    {"{'nodes':[],'queues':[],'jobs':[]}", "config", "required field is missing"},
    {DOC(CONFIG, NODES, QUEUES, "") "x", "", ""},
    {"{'extra':1," CONFIG ",'nodes':[],'queues':[],'jobs':[]}", "extra", "unknown field"},
    {"{'name':5," CONFIG ",'nodes':[],'queues':[],'jobs':[]}", "name", "must be a string"},
    {"{'now_s':1.5," CONFIG ",'nodes':[],'queues':[],'jobs':[]}", "now_s", "must be an integer"},
    {"{'seed':-1," CONFIG ",'nodes':[],'queues':[],'jobs':[]}", "seed", "must be >= 0"},
    {DOC(CONFIG, "'nodes':{}", QUEUES, ""), "nodes", "must be an array"},
    /* config */
    {DOC("'config':[]", NODES, QUEUES, ""), "config", "must be an object"},
    {DOC("'config':{}", NODES, QUEUES, ""), "config.actions", "required field is missing"},
    {DOC("'config':{'actions':['allocate','dance']}", NODES, QUEUES, ""), "config.actions[1]",
     "unknown action \"dance\""},
    {DOC("'config':{'actions':[1]}", NODES, QUEUES, ""), "config.actions[0]", "must be a string"},
    {DOC("'config':{'actions':['allocate','allocate','allocate','allocate','allocate','allocate',"
         "'allocate','allocate','allocate','allocate','allocate','allocate','allocate','allocate',"
         "'allocate','allocate','allocate']}",
         NODES, QUEUES, ""),
     "config.actions", "at most 16"},
    {DOC("'config':{'actions':[],'gpu_placement':'pack'}", NODES, QUEUES, ""),
     "config.gpu_placement", "must be \"binpack\", \"spread\" or \"allot\""},
    {DOC("'config':{'actions':[],'gpu_device_placement':'binpack'}", NODES, QUEUES, ""),
     "config.gpu_device_placement", "must be \"pack\" or \"spread\""},
    {DOC("'config':{'actions':[],'gpu_device_placement':'allot'}", NODES, QUEUES, ""),
     "config.gpu_device_placement", "must be \"pack\" or \"spread\""},
    {DOC("'config':{'actions':[],'shared_gpu_node_preference':1}", NODES, QUEUES, ""),
     "config.shared_gpu_node_preference", "must be true or false"},
    {DOC("'config':{'actions':[],'staleness_grace_period_s':'60'}", NODES, QUEUES, ""),
     "config.staleness_grace_period_s", "must be an integer"},
    {DOC("'config':{'actions':[],'grace':1}", NODES, QUEUES, ""), "config.grace", "unknown field"},
    /* nodes */
    {DOC(CONFIG, "'nodes':[1]", QUEUES, ""), "nodes[0]", "must be an object"},
    {NODE("'gpus':-1"), "nodes[0].gpus", "must be >= 0"},
    {NODE("'gpus':5000"), "nodes[0].gpus", "must be <= 4096"},
    {NODE("'gpus':1.5"), "nodes[0].gpus", "must be an integer"},
    {NODE("'gpus':'2'"), "nodes[0].gpus", "must be an integer"},
    {NODE("'gpu':2"), "nodes[0].gpu", "unknown field"},
    {NODE("'gpu_memory_mib':0"), "nodes[0].gpu_memory_mib", "must be >= 1"},
    {NODE("'cpu_millis':-5"), "nodes[0].cpu_millis", "must be >= 0"},
    {NODE("'memory_bytes':1.5"), "nodes[0].memory_bytes", "must be an integer"},
    {NODE("'memory_bytes':1e300"), "nodes[0].memory_bytes", "must be <="},
    {NODE("'labels':[]"), "nodes[0].labels", "must be an object"},
    {NODE("'labels':{'zone':1}"), "nodes[0].labels.zone", "must be a string"},
    {NODE("'pool':false"), "nodes[0].pool", "must be a string"},
    {DOC(CONFIG, "'nodes':[{'gpus':1}]", QUEUES, ""), "nodes[0].name", "required field is missing"},
    {DOC(CONFIG, "'nodes':[{'name':''}]", QUEUES, ""), "nodes[0].name", "must not be empty"},
    {DOC(CONFIG, "'nodes':[{'name':'a'},{'name':'b'},{'name':'a'}]", QUEUES, ""), "nodes[2].name",
     "duplicate node name \"a\" (also nodes[0])"},
    /* queues */
    {DOC(CONFIG, NODES, "'queues':[{'name':'a'},{'name':'b'},{'name':'b'}]", ""), "queues[2].name",
     "duplicate queue name"},
    {QUEUE("'priority':'high'"), "queues[1].priority", "must be an integer"},
    {DOC(CONFIG, NODES, "'queues':[{'name':'q','parent':'nope'}]", ""), "queues[0].parent",
     "unknown queue \"nope\""},
    {DOC(CONFIG, NODES, "'queues':[{'name':'q','parent':3}]", ""), "queues[0].parent",
     "must be a string or null"},
    {DOC(CONFIG, NODES, "'queues':[{'name':'a','parent':'b'},{'name':'b','parent':'a'}]", ""),
     "queues[0].parent", "parent cycle"},
    {DOC(CONFIG, NODES, "'queues':[{'name':'a','parent':'a'}]", ""), "queues[0].parent",
     "parent cycle"},
    {QUEUE("'deserved':{'gpu':-2}"), "queues[1].deserved.gpu", "must be >= 0 or -1"},
    {QUEUE("'deserved':{'gpu':2000000000}"), "queues[1].deserved.gpu", "must be <= 1000000000"},
    {QUEUE("'deserved':{'gpu':'1'}"), "queues[1].deserved.gpu", "must be a number"},
    {QUEUE("'deserved':{'cpu':1}"), "queues[1].deserved.cpu", "unknown field"},
    {QUEUE("'limit':{'memory_bytes':-3}"), "queues[1].limit.memory_bytes", "must be >= -1"},
    {QUEUE("'limit':{'cpu_millis':0.5}"), "queues[1].limit.cpu_millis", "must be an integer"},
    {QUEUE("'limit':2"), "queues[1].limit", "must be an object"},
    {QUEUE("'over_quota_weight':{'gpu':1.5}"), "queues[1].over_quota_weight.gpu",
     "must be an integer"},
    {QUEUE("'over_quota_weight':{'gpu':-1}"), "queues[1].over_quota_weight.gpu", "must be >= 0"},
    {QUEUE("'usage':{'gpu':1.5}"), "queues[1].usage.gpu", "must be between 0 and 1"},
    {QUEUE("'usage':{'gpu':'x'}"), "queues[1].usage.gpu", "must be a number"},
    {QUEUE("'usage':{'gpus':0.5}"), "queues[1].usage.gpus", ""},
    {DOC("'config':{'actions':[],'usage_k':-1}", NODES, QUEUES, ""), "config.usage_k",
     "must be between 0 and 1000"},
    {DOC("'config':{'actions':[],'usage_half_life_s':-5}", NODES, QUEUES, ""),
     "config.usage_half_life_s", "must be >= 0"},
    {QUEUE("'preempt_min_runtime_s':-1"), "queues[1].preempt_min_runtime_s", "must be >= 0"},
    {QUEUE("'reclaim_min_runtime_s':'10m'"), "queues[1].reclaim_min_runtime_s",
     "must be a number of seconds >= 0, or null"},
    {QUEUE("'reclaim_min_runtime_s':true"), "queues[1].reclaim_min_runtime_s",
     "must be a number of seconds >= 0, or null"},
    {QUEUE("'preempt_min_runtime_s':2.5"), "queues[1].preempt_min_runtime_s", "must be an integer"},
    {QUEUE("'preempt_min_runtime_s':1e13"), "queues[1].preempt_min_runtime_s", "must be <="},
    {QUEUE("'over_quota_weight':{'cpu_millis':1}"), "queues[1].over_quota_weight.cpu_millis",
     "unknown field"},
    /* jobs */
    {JOBS("5"), "jobs[0]", "must be an object"},
    {JOBS("{'name':'j','queue':'q','priority':50}"), "jobs[0].tasks", "required field is missing"},
    {JOBS("{'name':'j','queue':'q','priority':50,'tasks':{}}"), "jobs[0].tasks",
     "must be an array"},
    {JOBS("{'name':'j','queue':'zz','priority':50,'tasks':[]}"), "jobs[0].queue",
     "unknown queue \"zz\""},
    {JOBS("{'name':'j','queue':'root','priority':50,'tasks':[]}"), "jobs[0].queue",
     "not a leaf queue"},
    {JOBS("{'name':'j','queue':'q','tasks':[]}"), "jobs[0].priority", "required field is missing"},
    {JOBS("{'queue':'q','priority':1,'tasks':[]}"), "jobs[0].name", "required field is missing"},
    {JOBS("{'name':'j','queue':'q','priority':1,'tasks':[]},{'name':'j','queue':'q',"
          "'priority':1,'tasks':[]}"),
     "jobs[1].name", "duplicate job name"},
    {JOBS(JOB(",'min_members':1000001", PENDING)), "jobs[0].min_members", "must be <= 1000000"},
    {JOBS(JOB(",'min_members':-1", PENDING)), "jobs[0].min_members", "must be >= 0"},
    {JOBS(JOB(",'preemptible':'yes'", PENDING)), "jobs[0].preemptible", "must be true or false"},
    {JOBS(JOB(",'created_s':'x'", PENDING)), "jobs[0].created_s", "must be an integer"},
    {JOBS(JOB(",'stale_for_s':-1", PENDING)), "jobs[0].stale_for_s", "must be >= 0"},
    {JOBS(JOB(",'started_s':'yesterday'", PENDING)), "jobs[0].started_s", "must be an integer"},
    {JOBS(JOB(",'time_limit_s':0", PENDING)), "jobs[0].time_limit_s", "must be >= 1"},
    {JOBS(JOB(",'created_s':100,'pending_since_s':99", PENDING)), "jobs[0].pending_since_s",
     "99 is before created_s (100)"},
    {JOBS(JOB(",'pending_since_s':'now'", PENDING)), "jobs[0].pending_since_s",
     "must be an integer"},
    {DOC("'config':{'actions':[],'reservation_min_gpus':-8}", NODES, QUEUES, ""),
     "config.reservation_min_gpus", "must be >= 0"},
    {DOC("'config':{'actions':[],'reservation_wait_s':'1h'}", NODES, QUEUES, ""),
     "config.reservation_wait_s", "must be an integer"},
    {JOBS(JOB(",'started_s':1e13", PENDING)), "jobs[0].started_s", "must be <="},
    {JOBS(JOB(",'preemption_delay_s':1.25", PENDING)), "jobs[0].preemption_delay_s",
     "must be an integer"},
    {JOBS(JOB(",'gang':1", PENDING)), "jobs[0].gang", "unknown field"},
    /* subgroups */
    {JOBS(JOB(",'subgroups':[{'name':'a','min_members':1}]", PENDING)), "jobs[0].tasks[0].subgroup",
     "required when the job has subgroups"},
    {JOBS(JOB(",'subgroups':[{'name':'a','min_members':1}]",
              "{'name':'t','state':'pending','subgroup':'b'}")),
     "jobs[0].tasks[0].subgroup", "unknown subgroup \"b\""},
    {JOBS(JOB("", "{'name':'t','state':'pending','subgroup':'b'}")), "jobs[0].tasks[0].subgroup",
     "the job has no subgroups"},
    {JOBS(JOB(",'min_members':1,'subgroups':[{'name':'a','min_members':1}]",
              "{'name':'t','state':'pending','subgroup':'a'}")),
     "jobs[0].min_members", "must be absent when the job has subgroups"},
    {JOBS(JOB(",'subgroups':[{'name':'a','min_members':1},{'name':'a','min_members':0}]",
              "{'name':'t','state':'pending','subgroup':'a'}")),
     "jobs[0].subgroups[1].name", "duplicate subgroup name"},
    {JOBS(JOB(",'subgroups':[{'name':'a','min_members':1000001}]",
              "{'name':'t','state':'pending','subgroup':'a'}")),
     "jobs[0].subgroups[0].min_members", "must be <= 1000000"},
    {JOBS(JOB(",'subgroups':[{'name':'a','min_members':600000},{'name':'b','min_members':600000}]",
              "{'name':'t','state':'pending','subgroup':'a'}")),
     "jobs[0].subgroups[1].min_members", "the subgroups' minimums sum above 1000000"},
    {JOBS(JOB(",'subgroups':[{'name':'a'}]", "{'name':'t','state':'pending','subgroup':'a'}")),
     "jobs[0].subgroups[0].min_members", "required field is missing"},
    {JOBS(JOB(",'subgroups':[{'name':'a','min_members':0,'size':1}]",
              "{'name':'t','state':'pending','subgroup':'a'}")),
     "jobs[0].subgroups[0].size", "unknown field"},
    /* tasks: states and nodes */
    {JOBS(JOB("", PENDING) ",{'name':'k','queue':'q','priority':1,'tasks':[" PENDING "]}"),
     "jobs[1].tasks[0].name", "duplicate task name \"t\" (also jobs[0].tasks[0])"},
    {TASK("'state':'sleeping'"), "jobs[0].tasks[0].state", "unknown state \"sleeping\""},
    {TASK("'state':'allocated','node':'n0'"), "jobs[0].tasks[0].state", "not an input state"},
    {TASK("'gpus':1"), "jobs[0].tasks[0].state", "required field is missing"},
    {TASK("'state':'running','node':'n9'"), "jobs[0].tasks[0].node", "unknown node \"n9\""},
    {TASK("'state':'running'"), "jobs[0].tasks[0].node", "required for a running task"},
    {TASK("'state':'pipelined'"), "jobs[0].tasks[0].node", "required for a pipelined task"},
    {TASK("'state':'pending','node':'n0'"), "jobs[0].tasks[0].node", "a pending task has no node"},
    {TASK("'state':'failed','node':'n7'"), "jobs[0].tasks[0].node", "unknown node"},
    {TASK("'state':'pending','colour':'red'"), "jobs[0].tasks[0].colour", "unknown field"},
    /* tasks: GPU requests */
    {TASK("'state':'pending','gpus':-1"), "jobs[0].tasks[0].gpus", "must be >= 0"},
    {TASK("'state':'pending','gpus':4097"), "jobs[0].tasks[0].gpus", "must be <= 4096"},
    {TASK("'state':'pending','gpus':1,'gpu_fraction':0.5"), "jobs[0].tasks[0].gpu_fraction",
     "give only one of gpus, gpu_fraction and gpu_memory_mib"},
    {TASK("'state':'pending','gpu_fraction':0.5,'gpu_memory_mib':10"),
     "jobs[0].tasks[0].gpu_memory_mib", "give only one of"},
    {TASK("'state':'pending','gpu_fraction':1.5"), "jobs[0].tasks[0].gpu_fraction",
     "between 0 and 1"},
    {TASK("'state':'pending','gpu_fraction':0"), "jobs[0].tasks[0].gpu_fraction",
     "between 0 and 1"},
    {TASK("'state':'pending','gpu_fraction':0.0001"), "jobs[0].tasks[0].gpu_fraction",
     "must round to"},
    {TASK("'state':'pending','gpu_fraction':0.9999"), "jobs[0].tasks[0].gpu_fraction",
     "must round to"},
    {TASK("'state':'pending','gpu_fraction':'half'"), "jobs[0].tasks[0].gpu_fraction",
     "must be a number"},
    {TASK("'state':'pending','gpu_memory_mib':-10"), "jobs[0].tasks[0].gpu_memory_mib",
     "must be >= 0"},
    /* tasks: dynamic fractions (a limit above the request) */
    {TASK("'state':'pending','gpu_fraction':0.5,'gpu_fraction_limit':0.25"),
     "jobs[0].tasks[0].gpu_fraction_limit", "must be at least gpu_fraction (0.5)"},
    {TASK("'state':'pending','gpu_fraction':0.5,'gpu_fraction_limit':1.5"),
     "jobs[0].tasks[0].gpu_fraction_limit", "at most 1 (one device)"},
    {TASK("'state':'pending','gpu_fraction':0.5,'gpu_fraction_limit':'all'"),
     "jobs[0].tasks[0].gpu_fraction_limit", "must be a number"},
    {TASK("'state':'pending','gpus':1,'gpu_fraction_limit':0.5"),
     "jobs[0].tasks[0].gpu_fraction_limit", "only for a task with gpu_fraction"},
    {TASK("'state':'pending','gpu_memory_mib':100,'gpu_fraction_limit':0.5"),
     "jobs[0].tasks[0].gpu_fraction_limit", "only for a task with gpu_fraction"},
    {TASK("'state':'pending','gpu_memory_mib':100,'gpu_memory_limit_mib':50"),
     "jobs[0].tasks[0].gpu_memory_limit_mib", "must be at least gpu_memory_mib (100)"},
    {TASK("'state':'pending','gpu_fraction':0.5,'gpu_memory_limit_mib':500"),
     "jobs[0].tasks[0].gpu_memory_limit_mib", "only for a task with gpu_memory_mib"},
    {TASK("'state':'pending','gpu_memory_limit_mib':500"), "jobs[0].tasks[0].gpu_memory_limit_mib",
     "only for a task with gpu_memory_mib"},
    {TASK("'state':'pending','gpu_memory_mib':100,'gpu_memory_limit_mib':0"),
     "jobs[0].tasks[0].gpu_memory_limit_mib", "must be >= 1"},
    {TASK("'state':'pending','gpu_fraction':0.5,'gpu_devices':0"), "jobs[0].tasks[0].gpu_devices",
     "must be >= 1"},
    {TASK("'state':'pending','cpu_millis':-1"), "jobs[0].tasks[0].cpu_millis", "must be >= 0"},
    {TASK("'state':'pending','memory_bytes':2e300"), "jobs[0].tasks[0].memory_bytes", "must be <="},
    {TASK("'state':'pending','task_priority':1.5"), "jobs[0].tasks[0].task_priority",
     "must be an integer"},
    {TASK("'state':'pending','task_priority':'high'"), "jobs[0].tasks[0].task_priority",
     "must be an integer"},
    /* tasks: node affinity */
    {TASK("'state':'pending','node_affinity':['zone']"), "jobs[0].tasks[0].node_affinity",
     "must be an object"},
    {TASK("'state':'pending','node_affinity':{'zone':'a'}"), "jobs[0].tasks[0].node_affinity.zone",
     "must be an array"},
    {TASK("'state':'pending','node_affinity':{'zone':['a',1]}"),
     "jobs[0].tasks[0].node_affinity.zone[1]", "must be a string"},
    {TASK("'state':'pending','node_affinity':{'zone':[]}"), "jobs[0].tasks[0].node_affinity.zone",
     "at least one value"},
    /* tasks: devices */
    {TASK("'state':'running','node':'n0','gpus':1,'gpu_groups':['a']"),
     "jobs[0].tasks[0].gpu_groups", "only for tasks with gpu_fraction or gpu_memory_mib"},
    {TASK("'state':'pending','gpu_fraction':0.5,'gpu_groups':['a']"), "jobs[0].tasks[0].gpu_groups",
     "only for tasks that hold devices"},
    {TASK("'state':'running','node':'n0','gpu_fraction':0.5,'gpu_groups':['a','b']"),
     "jobs[0].tasks[0].gpu_groups", "must have 1 labels"},
    {TASK("'state':'running','node':'n0','gpu_fraction':0.5,'gpu_devices':2,"
          "'gpu_groups':['a','a']"),
     "jobs[0].tasks[0].gpu_groups[1]", "given twice"},
    {TASK("'state':'running','node':'n0','gpu_fraction':0.5,'gpu_groups':[7]"),
     "jobs[0].tasks[0].gpu_groups[0]", "must be a string"},
    {JOBS(JOB("", RUN("a", "'gpu_fraction':0.5,'gpu_groups':['x']") "," RUN(
                      "b", "'gpu_fraction':0.5,'gpu_groups':['y']") "," RUN("c", "'gpu_fraction':"
                                                                                 "0.5,'gpu_groups':"
                                                                                 "['z']"))),
     "jobs[0].tasks[2].gpu_groups[0]", "node n0 has no free GPU device left for label \"z\""},
    {JOBS(JOB("", RUN("a", "'gpus':2") "," RUN("b", "'gpus':1"))), "jobs[0].tasks[1]",
     "node n0 has no free GPU device left for this task"},
    {JOBS(JOB("", RUN("a", "'gpu_fraction':0.7,'gpu_groups':['x']") "," RUN(
                      "b", "'gpu_fraction':0.5,'gpu_groups':['x']"))),
     "jobs[0].tasks[1]", "GPU device 0 of node n0 is over-committed"},
    {JOBS(JOB("", RUN("a", "'gpu_memory_mib':200,'gpu_groups':['x']"))), "jobs[0].tasks[0]",
     "over-committed"},
    {JOBS(JOB("", RUN("a", "'gpus':1,'gpu_indices':[1]") "," RUN("b", "'gpus':1,'gpu_indices':"
                                                                      "[1]"))),
     "jobs[0].tasks[1]", "GPU device 1 of node n0 is over-committed"},
    {TASK("'state':'running','node':'n0','gpus':1,'gpu_indices':[2]"),
     "jobs[0].tasks[0].gpu_indices[0]", "must be <= 1"},
    {TASK("'state':'running','node':'n0','gpus':2,'gpu_indices':[0,0]"),
     "jobs[0].tasks[0].gpu_indices[1]", "device 0 given twice"},
    {TASK("'state':'running','node':'n0','gpus':2,'gpu_indices':[0]"),
     "jobs[0].tasks[0].gpu_indices", "must list 2 devices"},
    {TASK("'state':'running','node':'n0','gpu_fraction':0.5,'gpu_groups':['a'],"
          "'gpu_indices':[0]"),
     "jobs[0].tasks[0].gpu_indices", "give either gpu_groups or gpu_indices"},
    {TASK("'state':'running','node':'n0','cpu_millis':5,'gpu_indices':[0]"),
     "jobs[0].tasks[0].gpu_indices", "the task requests no GPU"},
    {TASK("'state':'pending','gpus':1,'gpu_indices':[0]"), "jobs[0].tasks[0].gpu_indices",
     "only for tasks that hold devices"},
    {TASK("'state':'running','node':'n0','gpus':1,'gpu_indices':[-1]"),
     "jobs[0].tasks[0].gpu_indices[0]", "must be >= 0"},
    {TASK("'state':'running','node':'n0','gpus':1,'gpu_indices':'0'"),
     "jobs[0].tasks[0].gpu_indices", "must be an array"},
    /* node pools and MIG */
    {JOBS(JOB(",'pool':''", PENDING)), "jobs[0].pool", "must not be empty"},
    {QUEUE("'pools':{'a':{'deserved':{'gpu':-2}}}"), "queues[1].pools.a.deserved.gpu",
     ">= 0 or -1"},
    {QUEUE("'pools':{'a':{'quota':1}}"), "queues[1].pools.a.quota", "unknown field"},
    {QUEUE("'pools':{'':{}}"), "queues[1].pools", "must not be empty"},
    {NODE("'mig':{'2g.0gb':1}"), "nodes[0].mig.2g.0gb", "not a MIG profile"},
    {NODE("'mig':{'8g.80gb':1}"), "nodes[0].mig.8g.80gb", "not a MIG profile"},
    {NODE("'mig':{'1g.10gb':0}"), "nodes[0].mig.1g.10gb", "must be >= 1"},
    {TASK("'state':'pending','gpus':1,'mig':{'1g.10gb':1}"), "jobs[0].tasks[0].mig", "not both"},
    {TASK("'state':'running','node':'n0','mig':{'1g.10gb':1}"), "jobs[0].tasks[0].mig",
     "offers no MIG instance of 1g.10gb"},
};

static void test_bad_documents_are_rejected(void **state) {
    int failures = 0;
    (void)state;
    assert_true(sizeof(bad_docs) / sizeof(bad_docs[0]) >= 30);
    for (size_t i = 0; i < sizeof(bad_docs) / sizeof(bad_docs[0]); i++) {
        const struct bad_doc *b = &bad_docs[i];
        char *doc = tb_doc(b->doc);
        struct al_cluster c;
        struct al_snapshot_error err;
        int rc = al_snapshot_parse(doc, strlen(doc), &c, &err);
        if (rc != -AL_EINVAL || strcmp(err.path, b->path) != 0 ||
            !strstr(err.message, b->message)) {
            print_error("bad_docs[%zu]: %s\n  expected rc %d, path \"%s\", message with \"%s\"\n"
                        "  got      rc %d, path \"%s\", message \"%s\"\n",
                        i, doc, -AL_EINVAL, b->path, b->message, rc, rc ? err.path : "",
                        rc ? err.message : "");
            failures++;
        }
        if (rc == 0)
            al_cluster_release(&c);
        else
            assert_null(c.tasks); /* zeroed on failure */
        free(doc);
    }
    assert_int_equal(failures, 0);
}

static void test_syntax_error_reports_the_line(void **state) {
    const char *doc = "{\n  \"config\": {\"actions\": []},\n  \"nodes\": [,]\n}";
    struct al_cluster c;
    struct al_snapshot_error err;
    (void)state;
    assert_int_equal(al_snapshot_parse(doc, strlen(doc), &c, &err), -AL_EINVAL);
    assert_string_equal(err.path, "");
    assert_int_equal(err.line, 3);
}

static void test_error_argument_may_be_null(void **state) {
    struct al_cluster c;
    (void)state;
    assert_int_equal(al_snapshot_parse("{}", 2, &c, NULL), -AL_EINVAL);
    assert_int_equal(al_snapshot_parse("{", 1, &c, NULL), -AL_EINVAL);
}

static void test_text_is_bounded_by_len(void **state) {
    char *doc = tb_doc(DOC(CONFIG, NODES, QUEUES, "") "garbage that is not parsed");
    size_t len = strlen(doc) - strlen("garbage that is not parsed");
    struct al_cluster c;
    struct al_snapshot_error err;
    (void)state;
    assert_int_equal(al_snapshot_parse(doc, len, &c, &err), 0);
    al_cluster_release(&c);
    assert_int_equal(al_snapshot_parse(doc, len - 1, &c, &err), -AL_EINVAL);
    free(doc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_documents_are_rejected),
        cmocka_unit_test(test_syntax_error_reports_the_line),
        cmocka_unit_test(test_error_argument_may_be_null),
        cmocka_unit_test(test_text_is_bounded_by_len),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
