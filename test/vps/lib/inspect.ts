// The parts of `docker inspect` output the scenarios read. Engine JSON, so every field may be
// missing on some engine version: all optional, and the assertions say what they expected.
export interface ContainerInspect {
  Id?: string;
  Image?: string;
  State?: { Status?: string; Running?: boolean; StartedAt?: string; Health?: { Status?: string; Log?: unknown[] } };
  Config?: { User?: string; Labels?: Record<string, string>; Env?: string[] };
  HostConfig?: {
    ReadonlyRootfs?: boolean;
    Tmpfs?: Record<string, string>;
    SecurityOpt?: string[] | null;
    CapDrop?: string[] | null;
    CapAdd?: string[] | null;
    Memory?: number;
    MemorySwap?: number;
    NanoCpus?: number;
    PidsLimit?: number | null;
    RestartPolicy?: { Name?: string };
    PortBindings?: Record<string, Array<{ HostIp?: string; HostPort?: string }>>;
    LogConfig?: { Type?: string; Config?: Record<string, string> };
    Init?: boolean | null;
    Privileged?: boolean;
    NetworkMode?: string;
    PidMode?: string;
    IpcMode?: string;
    UTSMode?: string;
    Sysctls?: Record<string, string>;
  };
  Mounts?: Array<{ Type?: string; Source?: string; Destination?: string; RW?: boolean }>;
  /** images only */
  RepoTags?: string[];
}

/** An OpenAI chat completion as far as the checks read it. */
export interface ChatAnswer {
  choices?: Array<{ message?: { content?: unknown } }>;
}
