export declare const defaultOutDir: string;
/** Builds the board into `outDir` (default web/board/dist); returns the files written, relative to it. */
export declare function buildBoard(outDir?: string): Promise<{ outDir: string; files: string[] }>;
