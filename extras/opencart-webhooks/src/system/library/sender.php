<?php
/**
 * ocdata webhooks: builds, signs and posts one delivery; keeps what could not be delivered.
 *
 * The format is ocdata's (ocdata/webhooks/payload.schema.json in the ocdata repository):
 * an envelope {id, type, created, store, data}, signed with HMAC-SHA256 over
 * "<timestamp>.<raw body>" in the X-Ocdata-Signature header.
 *
 * A delivery that fails (no answer, 408, 429, 5xx) is written to a queue folder and sent again,
 * oldest first, before the next event's own delivery, until `max_attempts`; 2xx and 409
 * (the receiver already has it) end it. Each post waits at most `timeout` seconds, so a dead
 * receiver costs a checkout at most that.
 */
namespace Ocdata\Webhooks;

class Sender {
	public const EVENTS = ['order.created', 'order.updated', 'customer.registered', 'product.updated'];

	private string $url;
	private string $secret;
	private array $events;
	private string $queue;
	private float $timeout;
	private int $max_attempts;
	/** @var callable|null test seam: fn(string $url, array $headers, string $body, float $timeout): int */
	private $transport;

	public function __construct(array $settings, string $queue_dir, ?callable $transport = null) {
		$this->url = (string)($settings['url'] ?? '');
		$this->secret = (string)($settings['secret'] ?? '');
		$this->events = (array)($settings['events'] ?? self::EVENTS);
		$this->queue = rtrim($queue_dir, '/') . '/';
		$this->timeout = (float)($settings['timeout'] ?? 3);
		$this->max_attempts = (int)($settings['max_attempts'] ?? 10);
		$this->transport = $transport;
	}

	/**
	 * The sender the module's settings describe, or null while the module is disabled.
	 * `$config` is OpenCart's config object (anything with get()).
	 */
	public static function fromConfig(object $config, string $storage_dir): ?self {
		if (!$config->get('module_ocdata_webhooks_status')) {
			return null;
		}

		return new self([
			'url'    => $config->get('module_ocdata_webhooks_url'),
			'secret' => $config->get('module_ocdata_webhooks_secret'),
			'events' => (array)$config->get('module_ocdata_webhooks_events'),
		], rtrim($storage_dir, '/') . '/ocdata_webhooks/queue/');
	}

	public function enabled(string $type): bool {
		return $this->url !== '' && strlen($this->secret) >= 16 && in_array($type, $this->events, true);
	}

	/** The envelope of one event. */
	public static function envelope(string $type, array $store, array $data): array {
		return [
			'id'      => 'evt_' . bin2hex(random_bytes(16)),
			'type'    => $type,
			'created' => gmdate('Y-m-d\TH:i:s\Z'),
			'store'   => $store,
			'data'    => $data,
		];
	}

	/**
	 * customer.registered's data from addCustomer's input; `$defaults` fills what the input
	 * leaves out (the storefront form posts no store or status, the admin form does).
	 */
	public static function customerData(int $customer_id, array $data, array $defaults): array {
		$data += $defaults;

		return [
			'customer_id'       => $customer_id,
			'customer_group_id' => (int)($data['customer_group_id'] ?? 0),
			'store_id'          => (int)($data['store_id'] ?? 0),
			'status'            => !empty($data['status']),
			'newsletter'        => !empty($data['newsletter']),
		];
	}

	/** Money as OpenCart stores it (DECIMAL 15,4), as a string so no float rounding travels. */
	public static function money($value): string {
		return number_format((float)$value, 4, '.', '');
	}

	public function headers(string $event_id, string $body, ?int $now = null): array {
		$timestamp = (string)($now ?? time());

		return [
			'Content-Type'       => 'application/json',
			'X-Ocdata-Event-Id'  => $event_id,
			'X-Ocdata-Timestamp' => $timestamp,
			'X-Ocdata-Signature' => 'v1=' . hash_hmac('sha256', $timestamp . '.' . $body, $this->secret),
		];
	}

	/** Send queued deliveries that are due, then this event; returns this event's outcome. */
	public function send(string $type, array $store, array $data): string {
		if (!$this->enabled($type)) {
			return 'disabled';
		}

		$event = self::envelope($type, $store, $data);
		$body = json_encode($event, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION);

		if ($body === false) {
			return 'unencodable';
		}

		$this->flush();

		return $this->attempt(['id' => $event['id'], 'body' => $body, 'attempts' => 0]);
	}

	/** Deliver what the queue holds (oldest first, at most $limit). */
	public function flush(int $limit = 20): int {
		$sent = 0;

		foreach (array_slice($this->queued(), 0, $limit) as $file) {
			$item = json_decode((string)file_get_contents($file), true);

			if (!is_array($item) || !isset($item['id'], $item['body'])) {
				@unlink($file);
				continue;
			}

			if (($item['next_at'] ?? 0) > time()) {
				continue;
			}

			@unlink($file);

			if ($this->attempt($item) === 'delivered') {
				$sent++;
			}
		}

		return $sent;
	}

	/** @return string[] queue files, oldest first */
	public function queued(): array {
		$files = glob($this->queue . '*.json') ?: [];
		sort($files);

		return $files;
	}

	private function attempt(array $item): string {
		$item['attempts']++;
		$status = $this->post($this->headers($item['id'], $item['body']), $item['body']);

		if (($status >= 200 && $status < 300) || $status == 409) {
			return 'delivered';
		}

		$retry = in_array($status, [0, 408, 425, 429, 500, 502, 503, 504], true);

		if (!$retry || $item['attempts'] >= $this->max_attempts) {
			return 'failed';
		}

		// capped exponential backoff; file names sort by first failure so order is kept
		$item['next_at'] = time() + min(3600, 30 * (2 ** ($item['attempts'] - 1)));
		$item['first_failed'] = $item['first_failed'] ?? sprintf('%.6f', microtime(true));

		if (!is_dir($this->queue)) {
			@mkdir($this->queue, 0700, true);
		}

		file_put_contents($this->queue . $item['first_failed'] . '-' . $item['id'] . '.json', json_encode($item), LOCK_EX);

		return 'queued';
	}

	private function post(array $headers, string $body): int {
		if ($this->transport) {
			return (int)call_user_func($this->transport, $this->url, $headers, $body, $this->timeout);
		}

		$lines = [];

		foreach ($headers as $name => $value) {
			$lines[] = $name . ': ' . $value;
		}

		$context = stream_context_create(['http' => [
			'method'          => 'POST',
			'header'          => implode("\r\n", $lines),
			'content'         => $body,
			'timeout'         => $this->timeout,
			'ignore_errors'   => true,
			'follow_location' => 0,
		]]);

		$stream = @fopen($this->url, 'r', false, $context);

		if ($stream === false) {
			return 0;
		}

		$meta = stream_get_meta_data($stream);
		fclose($stream);

		foreach ($meta['wrapper_data'] ?? [] as $line) {
			if (preg_match('#^HTTP/\S+\s+(\d{3})#', $line, $match)) {
				$status = (int)$match[1];
			}
		}

		return $status ?? 0;
	}
}
