// Types of start-checks.mjs (plain JavaScript, as it runs before anything is built) for the tests.
export declare const REQUIRED_NODE_MAJOR: number;
export declare function nodeVersionProblem(version?: string): string | null;
export declare function installProblem(root: string): string | null;
export interface BuildStep {
  script: string;
  output: string;
  sources: string[];
  skip: string[];
}
export declare const BUILD_STEPS: BuildStep[];
export declare function buildPlan(root: string, steps?: BuildStep[]): { script: string; reason: string }[];
export declare function declaredNodeVersions(root: string): { engines: string | null; nvmrc: string };
