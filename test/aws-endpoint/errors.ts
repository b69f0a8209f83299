/** An AWS API error as the service would return it: code, message, HTTP status, fault side. */
export class AwsApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** awsQuery's <Type>: Sender (client fault) or Receiver (server fault). */
    readonly type: "Sender" | "Receiver" = status >= 500 ? "Receiver" : "Sender",
  ) {
    super(message);
  }
}

export const validation = (message: string) => new AwsApiError("ValidationError", message);
